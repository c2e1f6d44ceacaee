import {
  type CfnResource,
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
  Stack,
} from 'aws-cdk-lib';
import { CfnGroup, CfnManagedPolicy, CfnPolicy, CfnRole, CfnUser } from 'aws-cdk-lib/aws-iam';
import { NagMessageLevel, NagPack, NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The pack name: its findings read `CoffeeIot-StarResource[Action::s3:GetObject]`. */
export const STAR_RESOURCE_PACK = 'CoffeeIot';
export const STAR_RESOURCE_RULE = 'StarResource';

interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function documentsOf(node: CfnResource): { Statement?: PolicyStatement[] }[] {
  const stack = Stack.of(node);
  if (node instanceof CfnPolicy || node instanceof CfnManagedPolicy)
    return [stack.resolve(node.policyDocument)];
  if (node instanceof CfnRole || node instanceof CfnUser || node instanceof CfnGroup) {
    const policies = (stack.resolve(node.policies) ?? []) as { policyDocument: unknown }[];
    return policies.map((policy) => stack.resolve(stack.resolve(policy).policyDocument));
  }
  return [];
}

/**
 * Every action an IAM entity allows on `Resource: "*"`, one finding each (`Action::s3:GetObject`,
 * or `NotAction::...` for an allow-all-but). cdk-nag's own IAM5 reports `Resource::*` once per
 * policy whatever the actions, so a role with one accepted unscopable action (DetectFaces) would
 * take any further action on `*` silently; this rule makes each action a finding of its own.
 */
export function actionsOnStarResource(node: CfnResource): NagRuleResult {
  const documents = documentsOf(node);
  if (documents.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  const findings = new Set<string>();
  for (const statement of documents.flatMap((document) => document?.Statement ?? [])) {
    if (statement.Effect !== 'Allow' || !asArray(statement.Resource).includes('*')) continue;
    for (const action of asArray(statement.Action)) findings.add(`Action::${action}`);
    for (const action of asArray(statement.NotAction)) findings.add(`NotAction::${action}`);
  }
  return findings.size > 0 ? [...findings] : NagRuleCompliance.COMPLIANT;
}

/**
 * A cdk-nag pack with the one rule above, validating one construct tree (the stack that registers
 * it). Its findings are acknowledged like cdk-nag's, with `Validations.of(construct).acknowledge`.
 */
export class StarResourceChecks extends NagPack {
  readonly name = STAR_RESOURCE_PACK;

  constructor(private readonly root: IConstruct) {
    super();
    this.packName = STAR_RESOURCE_PACK;
  }

  override validate(_context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.validateScope(this.root);
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      info: 'The IAM entity allows this action on Resource "*".',
      explanation:
        'Each action allowed on every resource must be one AWS cannot scope, and accepted for this role alone.',
      level: NagMessageLevel.ERROR,
      node,
      rule: actionsOnStarResource,
      ruleSuffixOverride: STAR_RESOURCE_RULE,
    });
  }
}
