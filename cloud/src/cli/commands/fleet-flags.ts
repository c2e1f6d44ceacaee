import { THING_NAME_PATTERN } from '@coffee-iot/shared';
import {
  DASHBOARD_URL_ENV,
  DEFAULT_LOCAL_DASHBOARD,
  type FleetTarget,
} from '../../fleet-control/fleet-target.js';
import { UsageError } from '../cli-errors.js';
import type { CliIo } from '../cli-io.js';
import { nonEmpty } from '../lake-command.js';
import { regionFlag } from './provision.js';

/** The flags every fleet command takes to choose where it goes. */
export const FLEET_TARGET_OPTIONS = {
  aws: { type: 'boolean' },
  region: { type: 'string' },
  dashboard: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const FLEET_TARGET_USAGE = `Target (default: the local stack of \`npm start\`):
  --dashboard URL      the local stack's dashboard (default $${DASHBOARD_URL_ENV}, else ${DEFAULT_LOCAL_DASHBOARD})
  --aws                AWS IoT Core instead, with the usual AWS credentials (AWS_PROFILE, …)
  --region R           with --aws: the region (default: the AWS SDK's, e.g. $AWS_REGION)
  --json               print JSON instead of a table
  -h, --help           show this help`;

export function fleetTarget(
  values: { aws?: boolean; region?: string; dashboard?: string },
  io: CliIo,
): FleetTarget {
  if (values.aws === true) {
    if (values.dashboard !== undefined)
      throw new UsageError('--dashboard is for the local stack; not with --aws');
    return { kind: 'aws', region: regionFlag(values.region) };
  }
  if (values.region !== undefined) throw new UsageError('--region needs --aws');
  const url =
    nonEmpty('--dashboard', values.dashboard) ?? io.env[DASHBOARD_URL_ENV] ?? DEFAULT_LOCAL_DASHBOARD;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--dashboard "${url}" is not a URL such as ${DEFAULT_LOCAL_DASHBOARD}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--dashboard "${url}" must be an http:// or https:// URL`);
  }
  return { kind: 'local', dashboardUrl: parsed.origin };
}

export function thingNames(text: string | undefined, flag: string): string[] {
  const names = (nonEmpty(flag, text) ?? '').split(',').map((name) => name.trim());
  if (text === undefined || names.length === 0) throw new UsageError(`${flag} names no things`);
  for (const name of names) {
    if (!THING_NAME_PATTERN.test(name)) {
      throw new UsageError(
        `${flag}: "${name}" is not a thing name (1-128 letters, digits, colons, underscores or hyphens)`,
      );
    }
  }
  if (new Set(names).size !== names.length) throw new UsageError(`${flag} names a thing twice`);
  return names;
}
