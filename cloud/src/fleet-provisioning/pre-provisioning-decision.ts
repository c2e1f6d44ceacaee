import {
  PROVISIONED_THING_PREFIX,
  type PreProvisioningHookEvent,
  type PreProvisioningHookResponse,
} from '@coffee-iot/shared';

/**
 * A serial number as the agent sends it (device/src/provisioning/serial-number.ts): a Pi's own
 * (`/proc/device-tree/serial-number`, 16 lower-case hex digits) or one set in its configuration,
 * 1-64 letters, digits, '_' or '-'. Nothing that could widen a policy or a thing name
 * (`coffee-pi-{serial}` stays a valid thing name), and the allow-list compares it exactly.
 */
export const SERIAL_NUMBER_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The template parameter carrying the serial number (the device sends it in RegisterThing). */
export const SERIAL_NUMBER_PARAMETER = 'SerialNumber';

export { PROVISIONED_THING_PREFIX } from '@coffee-iot/shared';

export function provisionedThingName(serial: string): string {
  return `${PROVISIONED_THING_PREFIX}${serial}`;
}

/**
 * IoT Core gives the hook 5 s in all. The answer must be back well before that: past this budget
 * the hook refuses rather than let IoT Core time out (which also refuses, but says nothing why).
 */
export const DECISION_BUDGET_MS = 3_000;

/** What the allow-list can answer for one claim. */
export type SerialClaimOutcome =
  /** Listed and unused until now; it is now marked as used by this certificate. */
  | 'claimed'
  /** Not on the allow-list. */
  | 'not-listed'
  /** On the allow-list but already used by another certificate. */
  | 'already-used';

export interface SerialClaim {
  readonly serial: string;
  /** The new certificate (from CreateCertificateFromCsr) the thing will get. */
  readonly certificateId: string;
  /** The claim certificate that asked: which SD-card batch it was. */
  readonly claimCertificateId: string;
  readonly at: Date;
}

/**
 * The serial allow-list, as the hook needs it. `claim` is one atomic step (check and mark as
 * used together): two devices sending the same serial at the same moment cannot both pass.
 * Claiming again with the same certificate answers 'claimed', so a retried hook call is harmless.
 */
export interface SerialAllowList {
  claim(claim: SerialClaim): Promise<SerialClaimOutcome>;
}

export type PreProvisioningOutcome =
  | 'allowed'
  | 'malformed-serial'
  | 'not-listed'
  | 'already-used'
  | 'allow-list-failed'
  | 'allow-list-too-slow';

export interface PreProvisioningDecision {
  readonly response: PreProvisioningHookResponse;
  readonly outcome: PreProvisioningOutcome;
  /** Plain words for the log: IoT Core's answer to the device carries no reason. */
  readonly reason: string;
  readonly serial?: string;
}

export interface DecisionOptions {
  readonly now?: () => Date;
  readonly budgetMs?: number;
  /** Injected so tests drive the budget with fake timers. */
  readonly setTimeout?: (callback: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
}

function refuse(
  outcome: Exclude<PreProvisioningOutcome, 'allowed'>,
  reason: string,
  serial?: string,
): PreProvisioningDecision {
  return {
    response: { allowProvisioning: false },
    outcome,
    reason,
    ...(serial === undefined ? {} : { serial }),
  };
}

const TOO_SLOW = Symbol('too slow');

/**
 * Decides one pre-provisioning hook call: allow only a well-formed serial that is on the
 * allow-list and not used yet, marking it as used in the same step. Never throws: every failure
 * is a refusal with its reason, because a thrown error reaches the device only as a bare reject.
 */
export async function decidePreProvisioning(
  event: PreProvisioningHookEvent,
  allowList: SerialAllowList,
  options: DecisionOptions = {},
): Promise<PreProvisioningDecision> {
  const raw: unknown = event?.parameters?.[SERIAL_NUMBER_PARAMETER];
  if (typeof raw !== 'string' || raw.length === 0) {
    return refuse(
      'malformed-serial',
      `the RegisterThing request has no ${SERIAL_NUMBER_PARAMETER} parameter`,
    );
  }
  if (!SERIAL_NUMBER_PATTERN.test(raw)) {
    // The value is echoed only when short: a hostile device must not fill the log.
    const shown = raw.length <= 64 ? JSON.stringify(raw) : `of ${raw.length} characters`;
    return refuse('malformed-serial', `serial number ${shown} is not 1-64 letters, digits, '_' or '-'`);
  }
  const serial = raw;
  if (typeof event.certificateId !== 'string' || event.certificateId.length === 0) {
    return refuse('malformed-serial', 'the hook event names no new certificate', serial);
  }

  const now = options.now ?? (() => new Date());
  const budgetMs = options.budgetMs ?? DECISION_BUDGET_MS;
  const arm = options.setTimeout ?? ((callback, ms) => setTimeout(callback, ms));
  const disarm = options.clearTimeout ?? ((handle) => clearTimeout(handle as NodeJS.Timeout));
  let timer: unknown;
  const tooSlow = new Promise<typeof TOO_SLOW>((resolve) => {
    timer = arm(() => resolve(TOO_SLOW), budgetMs);
  });

  let outcome: SerialClaimOutcome | typeof TOO_SLOW;
  try {
    const claim: SerialClaim = {
      serial,
      certificateId: event.certificateId,
      claimCertificateId: String(event.claimCertificateId ?? ''),
      at: now(),
    };
    outcome = await Promise.race([allowList.claim(claim), tooSlow]);
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return refuse(
      'allow-list-failed',
      `the allow-list could not be read (${detail}); the device may retry`,
      serial,
    );
  } finally {
    disarm(timer);
  }

  switch (outcome) {
    case 'claimed':
      return {
        response: { allowProvisioning: true },
        outcome: 'allowed',
        reason: `serial ${serial} is allow-listed and unused; it becomes ${provisionedThingName(serial)}`,
        serial,
      };
    case 'not-listed':
      return refuse('not-listed', `serial ${serial} is not on the allow-list`, serial);
    case 'already-used':
      return refuse(
        'already-used',
        `serial ${serial} was already provisioned with another certificate; to provision it again, ` +
          'release it on the allow-list (docs/fleet-provisioning.md)',
        serial,
      );
    case TOO_SLOW:
      return refuse(
        'allow-list-too-slow',
        `the allow-list did not answer within ${budgetMs} ms (IoT Core allows the hook 5 s); the device may retry`,
        serial,
      );
  }
}
