import type { ErrorObject } from 'ajv';
import { identityPaths, parseIdentityRecord } from '../provisioning/identity-store.js';
import { SERIAL_NUMBER_PATTERN, SERIAL_SOURCES, type SerialSource } from '../provisioning/serial-number.js';
import type { ConfigFs } from './config-fs.js';
import type { SchemaNode } from './config-schema.js';
import { checkPemFiles } from './file-checks.js';

/**
 * Provisioning by claim: the same SD-card image on every Pi carries a claim
 * certificate; on first boot the agent gets its own certificate and thing from it, and stores them
 * in `{stateDir}/identity/`. With `provisioning` set, thingName, cert and key come from there.
 */
export interface ProvisioningConfig {
  claimCert: string;
  claimKey: string;
  templateName: string;
  /** This device's serial; unset = read from `serialSource`. */
  serialNumber?: string;
  serialSource: SerialSource;
  requestTimeoutMs: number;
}

const IDENTITY_KEYS = ['thingName', 'cert', 'key'] as const;
const CLAIM_KEYS = ['claimCert', 'claimKey', 'templateName'] as const;

/** The `provisioning` node of agent.json's schema. No default: absent means a device set up by hand. */
export const provisioningSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  description:
    'provisioning by claim on first boot (set all of claimCert, claimKey and templateName; thingName, cert and key then come from {stateDir}/identity/)',
  properties: {
    claimCert: {
      type: 'string',
      minLength: 1,
      description: 'path to the claim certificate (PEM) the fleet image carries',
    },
    claimKey: { type: 'string', minLength: 1, description: 'path to the claim private key (PEM)' },
    templateName: {
      type: 'string',
      pattern: '^[0-9A-Za-z_-]{1,36}$',
      description: 'AWS IoT provisioning template name, 1-36 letters, digits, "_" or "-"',
    },
    serialNumber: {
      type: 'string',
      pattern: SERIAL_NUMBER_PATTERN.source,
      description:
        "this device's serial number, 1-64 letters, digits, '_' or '-' (unset = read from serialSource)",
    },
    serialSource: {
      type: 'string',
      enum: SERIAL_SOURCES,
      default: 'auto',
      description: `one of ${SERIAL_SOURCES.join(', ')} (device-tree: /proc/device-tree/serial-number; cpuinfo: the Serial line of /proc/cpuinfo; auto: the first that has one)`,
    },
    requestTimeoutMs: {
      type: 'integer',
      minimum: 1000,
      maximum: 120_000,
      default: 30_000,
      description: 'milliseconds each provisioning request may wait for its answer, 1000-120000',
    },
  },
};

function provisioningOf(document: Record<string, unknown>): Record<string, unknown> | null {
  const node = document.provisioning;
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : null;
}

/** Whether the document asks for provisioning by claim. */
export function claimMode(document: Record<string, unknown>): boolean {
  return provisioningOf(document) !== null;
}

/**
 * Wraps agent.json's validator: with `provisioning` set, a missing thingName, cert or key is not
 * an error (they come from the identity provisioning stores). Everything else is unchanged.
 */
export function allowingClaimIdentity<V extends { (data: unknown): boolean; errors?: ErrorObject[] | null }>(
  validate: V,
): V {
  const wrapped = ((data: unknown) => {
    const valid = validate(data);
    const document = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
    if (valid || !claimMode(document)) {
      wrapped.errors = validate.errors ?? null;
      return valid;
    }
    const errors = (validate.errors ?? []).filter(
      (error) =>
        !(
          error.keyword === 'required' &&
          error.instancePath === '' &&
          (IDENTITY_KEYS as readonly string[]).includes(String(error.params.missingProperty))
        ),
    );
    wrapped.errors = errors.length > 0 ? errors : null;
    return errors.length === 0;
  }) as unknown as V;
  return wrapped;
}

/** Rules across keys: a claim needs all three of its keys, and leaves the identity keys unset. */
export function provisioningProblems(
  document: Record<string, unknown>,
  originOf: (path: string) => string | undefined,
): string[] {
  const provisioning = provisioningOf(document);
  if (!provisioning) return [];
  const problems: string[] = [];
  for (const key of CLAIM_KEYS) {
    if (provisioning[key] === undefined) {
      problems.push(`provisioning.${key}: required for provisioning by claim but not set`);
    }
  }
  for (const key of IDENTITY_KEYS) {
    if (document[key] !== undefined) {
      const origin = originOf(key);
      problems.push(
        `${key}: must not be set with provisioning (it comes from {stateDir}/identity/ after provisioning by claim)${origin ? ` (from ${origin})` : ''}; remove one of them`,
      );
    }
  }
  return problems;
}

/**
 * In claim mode, fills thingName, cert and key from `{stateDir}/identity/` once provisioned; before
 * that they are empty strings, and the agent provisions first (device/src/provisioning/).
 */
export function applyProvisionedIdentity(document: Record<string, unknown>, fs: ConfigFs): void {
  if (!claimMode(document) || typeof document.stateDir !== 'string') return;
  const paths = identityPaths(document.stateDir);
  let record = null;
  try {
    record = parseIdentityRecord(fs.readText(paths.record));
  } catch {
    record = null; // not provisioned yet
  }
  document.thingName = record?.thingName ?? '';
  document.cert = record ? paths.cert : '';
  document.key = record ? paths.key : '';
}

/** The claim certificate and key must be readable like the device's own (file-checks.ts). */
export function claimFileProblems(
  document: Record<string, unknown>,
  fs: ConfigFs,
  originOf: (path: string) => string | undefined,
): { problems: string[]; warnings: string[] } {
  const provisioning = provisioningOf(document);
  if (!provisioning || document.thingName !== '') return { problems: [], warnings: [] };
  // Only needed until provisioned; checked under the names checkPemFiles knows, then renamed.
  const checked = checkPemFiles({ cert: provisioning.claimCert, key: provisioning.claimKey }, fs, (path) =>
    originOf(path === 'cert' ? 'provisioning.claimCert' : 'provisioning.claimKey'),
  );
  const rename = (line: string) =>
    line.replace(/^cert:/, 'provisioning.claimCert:').replace(/^key:/, 'provisioning.claimKey:');
  return { problems: checked.problems.map(rename), warnings: checked.warnings.map(rename) };
}
