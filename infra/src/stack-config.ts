import { Token } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { INGEST_PATHS, type IngestPath } from './constructs/ingest-target.js';
import { defaultAuthDomainPrefix } from './stack-names.js';

/**
 * How the Lambdas reach Aurora (docs/costs.md): `small` pauses the database when idle and reaches
 * it over the RDS Data API from outside any VPC (no NAT gateway, no RDS Proxy); `fleet` keeps
 * mysql2 through RDS Proxy in the VPC, for fleets where connections matter.
 */
export const DEPLOYMENT_PROFILES = ['small', 'fleet'] as const;
export type DeploymentProfile = (typeof DEPLOYMENT_PROFILES)[number];

/** The deployment's choices, from `cdk.json` context or `-c key=value` on the command line. */
export interface StackConfig {
  /** `small` (default: scales to zero) or `fleet` (RDS Proxy and a NAT gateway). */
  readonly profile: DeploymentProfile;
  /** The Glue streaming job instead of Firehose: off by default (about $640 a month, docs/costs.md). */
  readonly glueStreamingJob: boolean;
  /** Days a photo is kept before S3 deletes it (faces: privacy). */
  readonly photoRetentionDays: number;
  readonly photoBucketVersioning: boolean;
  /** EventBridge schedule of the daily export. */
  readonly exportSchedule: string;
  /** Where alarms are mailed; empty for none (subscribe to the topic yourself). */
  readonly alarmEmail: string;
  /** The Cognito hosted sign-in domain prefix: unique in the region. */
  readonly authDomainPrefix: string;
  readonly topicPrefix: string;
  /**
   * `direct` (default): topic rules and producers put straight into Firehose, no Kinesis stream.
   * `stream`: through a Kinesis ingest stream (what the Glue streaming job reads, so its default).
   */
  readonly ingestPath: IngestPath;
  /** Kinesis shards on the `stream` path: one takes 1,000 records/s (1,000 devices at 1 Hz unbatched). */
  readonly ingestShards: number;
  /** Athena's per-query scan limit, GiB. */
  readonly athenaScanLimitGib: number;
  /**
   * The first ingest year Athena's partition projection covers (the oldest data the lake may
   * hold); it then covers PROJECTED_YEARS years. Context, not the day of the synth: a redeploy in
   * January must not hide the years before.
   */
  readonly firstYear: number;
}

export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid coffee-iot context:\n  ${problems.join('\n  ')}`);
  }
}

const KEY = (name: string) => `coffee-iot:${name}`;

/** Reads every setting and reports every bad one at once, naming the context key. */
export function readStackConfig(node: Node, account: string, stackName: string): StackConfig {
  const problems: string[] = [];
  const raw = (name: string) => node.tryGetContext(KEY(name)) as unknown;
  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    problems.push(`${KEY(name)} must be true or false, got ${JSON.stringify(value)}`);
    return fallback;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      problems.push(
        `${KEY(name)} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
      return fallback;
    }
    return number;
  };
  const text = (name: string, fallback: string, pattern?: RegExp, expected?: string): string => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || (pattern && !pattern.test(value))) {
      problems.push(`${KEY(name)} must be ${expected ?? 'a string'}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  };
  const choice = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    problems.push(`${KEY(name)} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return fallback;
  };
  const config: StackConfig = {
    profile: choice('profile', DEPLOYMENT_PROFILES, 'small'),
    glueStreamingJob: bool('glueStreamingJob', false),
    photoRetentionDays: int('photoRetentionDays', 30, 1, 3650),
    photoBucketVersioning: bool('photoBucketVersioning', false),
    exportSchedule: text('exportSchedule', 'cron(30 1 * * ? *)', /^(cron|rate)\(.+\)$/, 'cron(…) or rate(…)'),
    alarmEmail: text('alarmEmail', '', /^$|^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address or empty'),
    // Cognito domain prefixes are unique in a region across all accounts: the account id makes
    // the default unique when it is known at synth (the CDK CLI sets it from your credentials),
    // the stack name between two stacks of one account.
    authDomainPrefix: text(
      'authDomainPrefix',
      defaultAuthDomainPrefix(stackName, Token.isUnresolved(account) ? undefined : account),
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
      'lower-case letters, digits and hyphens',
    ),
    ingestPath: 'direct',
    ingestShards: int('ingestShards', 1, 1, 500),
    athenaScanLimitGib: int('athenaScanLimitGib', 100, 1, 100_000),
    firstYear: int('firstYear', 2024, 2000, 2100),
    topicPrefix: text(
      'topicPrefix',
      'dt/coffee-iot',
      /^[^#+/$][^#+]*[^/#+]$/,
      'an MQTT topic prefix without wildcards',
    ),
  };
  const ingestPath = choice('ingestPath', INGEST_PATHS, config.glueStreamingJob ? 'stream' : 'direct');
  if (ingestPath === 'direct' && config.glueStreamingJob) {
    problems.push(
      `${KEY('glueStreamingJob')} reads the Kinesis ingest stream: it needs ${KEY('ingestPath')}=stream (got direct)`,
    );
  }
  if (ingestPath === 'direct' && raw('ingestShards') !== undefined) {
    problems.push(
      `${KEY('ingestShards')} applies to ${KEY('ingestPath')}=stream only: the direct path has no stream`,
    );
  }
  if (problems.length > 0) throw new StackConfigError(problems);
  return { ...config, ingestPath };
}
