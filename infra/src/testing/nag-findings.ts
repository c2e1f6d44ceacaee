// cdk-nag findings as the rules see them, before any acknowledgement: cdk-nag itself does not
// report an acknowledgement that matches nothing, so the tests compare the two.
import type { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type IApplyRule, NagRuleCompliance } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { Acknowledgement } from '../nag-acknowledgements.js';
import { StarResourceChecks } from '../star-resource-checks.js';

export interface NagFinding {
  /** The finding id as acknowledged, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** The CfnResource's construct path. */
  readonly path: string;
}

/** The ids cdk-nag's NagPack.applyRule derives from one rule's result (nag-pack.js). */
function findingIds(pack: string, params: IApplyRule): string[] {
  const rule = `${pack}-${params.ruleSuffixOverride ?? params.rule.name}`;
  try {
    const result = params.rule(params.node);
    if (result === NagRuleCompliance.NON_COMPLIANT) return [rule];
    return Array.isArray(result) ? result.map((finding) => `${rule}[${finding}]`) : [];
  } catch {
    return [rule]; // cdk-nag reports a rule that throws as the bare rule id
  }
}

class RecordingAwsSolutions extends AwsSolutionsChecks {
  readonly findings: NagFinding[] = [];
  protected override applyRule(params: IApplyRule): void {
    for (const id of findingIds(this.packName, params))
      this.findings.push({ id, path: params.node.node.path });
  }
}

class RecordingStarResource extends StarResourceChecks {
  readonly findings: NagFinding[] = [];
  protected override applyRule(params: IApplyRule): void {
    for (const id of findingIds(this.packName, params))
      this.findings.push({ id, path: params.node.node.path });
  }
}

/** Every finding of the AWS Solutions pack and of the star-resource rule under `root`, acknowledged or not. */
export function rawNagFindings(root: IConstruct): NagFinding[] {
  const solutions = new RecordingAwsSolutions();
  solutions.validateScope(root);
  const star = new RecordingStarResource(root);
  star.validateScope(root);
  return [...solutions.findings, ...star.findings];
}

/** Acknowledgements that accept no finding on their construct or below it: stale, they would hide a future one. */
export function unusedAcknowledgements(
  stack: Stack,
  acknowledgements: readonly Acknowledgement[],
  findings: readonly NagFinding[],
): Acknowledgement[] {
  return acknowledgements.filter(({ path, id }) => {
    const scope = `${stack.node.path}/${path}`;
    return !findings.some((f) => f.id === id && (f.path === scope || f.path.startsWith(`${scope}/`)));
  });
}

/** What the two packs report against `stack` as registered for a synth: findings nobody acknowledged. */
export function unacknowledgedFindings(stack: Stack): NagFinding[] {
  const reports = [
    new AwsSolutionsChecks().validateScope(stack),
    new StarResourceChecks(stack).validateScope(stack),
  ];
  return reports.flatMap((report) =>
    report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        id: violation.ruleName,
        path: resource.constructPath ?? `(no construct path: ${resource.resourceLogicalId})`,
      })),
    ),
  );
}
