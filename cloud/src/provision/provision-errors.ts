import { describeError } from './aws-errors.js';
import type { UndoReport } from './undo-stack.js';

/** The options given to provisionThing or deprovisionThing break a rule; `problems` names each one. */
export class InvalidProvisionOptionsError extends Error {
  override readonly name = 'InvalidProvisionOptionsError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/** Provisioning refuses a thing name that is taken: nothing is created, the existing thing is left alone. */
export class ThingAlreadyExistsError extends Error {
  override readonly name = 'ThingAlreadyExistsError';
  constructor(
    readonly thingName: string,
    readonly region: string,
    options?: ErrorOptions,
  ) {
    super(
      `thing ${thingName} already exists in ${region}; nothing was changed. Choose another name, or ` +
        `remove it first with: coffee-iot deprovision ${thingName}`,
      options,
    );
  }
}

/** Deprovisioning found no thing of that name. */
export class ThingNotFoundError extends Error {
  override readonly name = 'ThingNotFoundError';
  constructor(
    readonly thingName: string,
    readonly region: string,
    options?: ErrorOptions,
  ) {
    super(`thing ${thingName} not found in ${region}; nothing was changed`, options);
  }
}

/** The AWS IoT call (or the bundle write) at which provisioning failed. */
export type ProvisionStep =
  | 'DescribeThing'
  | 'DescribeEndpoint'
  | 'CreateThing'
  | 'CreateKeysAndCertificate'
  | 'AttachPolicy'
  | 'AttachThingPrincipal'
  | 'WriteDeviceBundle';

function rollbackLines(rollback: UndoReport, partialBundle: string | undefined): string[] {
  const lines: string[] = [];
  if (rollback.undone.length === 0 && rollback.failed.length === 0) {
    lines.push('Nothing was created.');
  } else if (rollback.undone.length > 0) {
    lines.push(`Rolled back: ${rollback.undone.join('; ')}.`);
  }
  if (rollback.failed.length > 0 || partialBundle !== undefined) {
    lines.push('Rollback incomplete, left behind (finish by hand):');
    for (const failure of rollback.failed) {
      lines.push(`  ${failure.description} failed: ${describeError(failure.error)}`);
      lines.push(`    ${failure.byHand}`);
    }
    if (partialBundle !== undefined) {
      lines.push(`  the partial bundle ${partialBundle} (it may hold the private key)`);
      lines.push(`    rm -rf ${partialBundle}`);
    }
  }
  return lines;
}

/**
 * Provisioning failed at `step`; everything it had created was undone newest first. The message
 * names the step and the original error (also the `cause`), what was rolled back and, for each
 * rollback step that failed, what is left behind and how to remove it by hand.
 */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(
    readonly thingName: string,
    readonly step: ProvisionStep,
    stepDescription: string,
    readonly rollback: UndoReport,
    /** A partly written bundle directory that could not be removed. */
    readonly partialBundle: string | undefined,
    options: ErrorOptions & { cause: unknown },
  ) {
    super(
      [
        `provisioning ${thingName} failed at ${step} (${stepDescription}): ${describeError(options.cause)}`,
        ...rollbackLines(rollback, partialBundle),
      ].join('\n'),
      options,
    );
  }

  /** True when something is left in AWS or on disk that the operator must remove. */
  get incomplete(): boolean {
    return this.rollback.failed.length > 0 || this.partialBundle !== undefined;
  }
}

/**
 * Deprovisioning stopped at a step. `done` lists what was removed; `remaining` says how to finish
 * (AWS CLI commands, or running deprovision again for what is still attached to the thing).
 */
export class DeprovisionError extends Error {
  override readonly name = 'DeprovisionError';
  constructor(
    readonly thingName: string,
    stepDescription: string,
    readonly done: readonly string[],
    readonly remaining: readonly string[],
    options: ErrorOptions & { cause: unknown },
  ) {
    super(
      [
        `deprovisioning ${thingName} failed at: ${stepDescription}: ${describeError(options.cause)}`,
        done.length === 0 ? 'Nothing was removed.' : `Done: ${done.join('; ')}.`,
        'Left to do:',
        ...remaining.map((line) => `  ${line}`),
      ].join('\n'),
      options,
    );
  }
}
