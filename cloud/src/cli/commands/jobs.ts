import { resolve } from 'node:path';
import { TERMINAL_JOB_STATUSES } from '@coffee-iot/shared';
import type { FleetControl, JobView } from '../../fleet-control/fleet-control-port.js';
import { openFleetControl } from '../../fleet-control/fleet-target.js';
import {
  buildJobDocument,
  JOB_OPERATIONS,
  JobDocumentError,
  newJobId,
} from '../../fleet-control/job-documents.js';
import { parseSettings, SettingError } from '../../fleet-control/setting-values.js';
import { type UpdateJobRequest, updateJobParameters } from '../../fleet-control/update-job-document.js';
import { UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from '../cli-io.js';
import { type LakeCommand, nonEmpty, parseCommandLine, runLakeCommand } from '../lake-command.js';
import { formatTable } from '../text-table.js';
import { FLEET_TARGET_OPTIONS, FLEET_TARGET_USAGE, fleetTarget, thingNames } from './fleet-flags.js';

export const JOBS_USAGE = `Usage: coffee-iot jobs run OPERATION --things A[,B…] [--param KEY=VALUE]... [--timeout-minutes N] [--wait]
       coffee-iot jobs run update-agent --things A[,B…] --bundle FILE --key KEY.pem [--url URL] [--version V]
       coffee-iot jobs status JOB_ID [--wait]

Runs an operation on devices as an IoT job and follows it. Devices run only these operations
(any other is refused here and by the agent): ${JOB_OPERATIONS.join(', ')}.

  --things A,B         the devices (thing names)
  --param KEY=VALUE    a job document parameter (JSON values as JSON); repeat for several,
                       e.g. upload-logs --param lines=500, set-config --param config.batchSeconds=10
  --timeout-minutes N  an execution still IN_PROGRESS after N minutes becomes TIMED_OUT
  --wait               poll every 2 s until every execution has finished (at most 15 min, for a
                       device that is off); exit 1 unless all SUCCEEDED

update-agent (docs/agent-updates.md):
  --bundle FILE        the release tarball (npm run release); its SHA-256 and signature go in the job
  --key KEY.pem        the ECDSA P-256 signing key (coffee-iot sign-bundle --generate-key)
  --url URL            where devices fetch FILE: required with --aws (a presigned HTTPS URL, e.g.
                       aws s3 presign); default for the local stack: the file itself
  --version V          default: from the file name coffee-iot-agent-V-linux-ARCH.tar.gz
${FLEET_TARGET_USAGE}

Exit status: 0 done (with --wait: every execution SUCCEEDED); 1 failed; 2 bad usage.
`;

const OPTIONS = {
  ...FLEET_TARGET_OPTIONS,
  things: { type: 'string' },
  param: { type: 'string', multiple: true },
  'timeout-minutes': { type: 'string' },
  wait: { type: 'boolean' },
  bundle: { type: 'string' },
  key: { type: 'string' },
  url: { type: 'string' },
  version: { type: 'string' },
} as const;

const UPDATE_FLAGS = ['bundle', 'key', 'url', 'version'] as const;

/** How often --wait asks; each ask is a few API calls per execution. */
export const WAIT_POLL_MS = 2000;

type JobsCommand =
  | {
      verb: 'run';
      operation: string;
      document: Record<string, unknown>;
      update: UpdateJobRequest | undefined;
      things: string[];
      timeoutMinutes: number | undefined;
      wait: boolean;
      json: boolean;
      target: ReturnType<typeof fleetTarget>;
    }
  | { verb: 'status'; jobId: string; wait: boolean; json: boolean; target: ReturnType<typeof fleetTarget> };

const spec: LakeCommand<JobsCommand> = {
  name: 'jobs',
  usage: JOBS_USAGE,
  plainErrors: ['FleetControlError', 'UpdateJobError', 'SigningKeyError'],
  parse(argv, io) {
    const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
    if (values.help === true) return 'help';
    const [verb, subject, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const target = fleetTarget(values, io);
    const common = { wait: values.wait === true, json: values.json === true, target };
    if (verb === 'status') {
      if (subject === undefined) throw new UsageError('jobs status needs a JOB_ID');
      for (const flag of ['things', 'param', 'timeout-minutes', ...UPDATE_FLAGS] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} is for jobs run`);
      }
      return { verb, jobId: subject, ...common };
    }
    if (verb !== 'run') throw new UsageError('expected "jobs run OPERATION …" or "jobs status JOB_ID"');
    if (subject === undefined)
      throw new UsageError(`jobs run needs an OPERATION: ${JOB_OPERATIONS.join(', ')}`);
    let document: Record<string, unknown>;
    try {
      document = buildJobDocument(subject, parseSettings(values.param ?? []));
    } catch (error) {
      if (error instanceof SettingError) throw new UsageError(`--param: ${error.message}`);
      if (error instanceof JobDocumentError) throw new UsageError(error.message);
      throw error;
    }
    return {
      verb,
      operation: subject,
      document,
      update: updateRequest(subject, values, target.kind === 'aws', io),
      things: thingNames(values.things, '--things'),
      timeoutMinutes: minutes(values['timeout-minutes']),
      ...common,
    };
  },
  async run(command, io) {
    const fleet = await openFleetControl(command.target);
    io.stderr.write(`coffee-iot: using ${fleet.description}\n`);
    let jobId: string;
    if (command.verb === 'run') {
      jobId = newJobId(command.operation, (io.now ?? (() => new Date()))());
      const document =
        command.update === undefined
          ? command.document
          : { ...command.document, ...(await updateJobParameters(command.update)) };
      await fleet.createJob({
        jobId,
        document,
        targets: command.things,
        ...(command.timeoutMinutes === undefined ? {} : { inProgressTimeoutMinutes: command.timeoutMinutes }),
      });
      io.stderr.write(`coffee-iot: created job ${jobId} for ${command.things.join(', ')}\n`);
    } else {
      jobId = command.jobId;
    }
    return reportJob(fleet, jobId, command, io);
  },
};

/**
 * Prints the job (JSON or a table), after following it to the end with `wait`; the exit code is
 * 0 unless `wait` saw an execution end other than SUCCEEDED.
 */
export async function reportJob(
  fleet: FleetControl,
  jobId: string,
  options: { wait: boolean; json: boolean },
  io: CliIo,
): Promise<number> {
  const job = options.wait ? await waitForJob(fleet, jobId) : await fleet.describeJob(jobId);
  io.stdout.write(options.json ? `${JSON.stringify(job, null, 2)}\n` : formatJob(job));
  if (!options.wait) return EXIT_OK;
  const unfinished = job.executions.filter((execution) => !TERMINAL_JOB_STATUSES.includes(execution.status));
  if (unfinished.length > 0) {
    io.stderr.write(
      `coffee-iot: stopped waiting after ${WAIT_LIMIT_MS / 60_000} min; not finished on ${unfinished
        .map((execution) => `${execution.thing} (${execution.status})`)
        .join(', ')}: follow it with coffee-iot jobs status ${jobId}\n`,
    );
  }
  return job.executions.every((execution) => execution.status === 'SUCCEEDED') ? EXIT_OK : EXIT_FAILURE;
}

export function runJobs(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand(spec, argv, io);
}

/** How long --wait follows a job: a device that is off would otherwise keep the command waiting for ever. */
export const WAIT_LIMIT_MS = 15 * 60_000;

/**
 * Polls until every execution is terminal, or `limitMs` has passed: then the job as it stands
 * (with executions still QUEUED or IN_PROGRESS, which reportJob turns into exit 1).
 */
export async function waitForJob(
  fleet: FleetControl,
  jobId: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  limitMs: number = WAIT_LIMIT_MS,
  now: () => number = Date.now,
): Promise<JobView> {
  const deadline = now() + limitMs;
  for (;;) {
    const job = await fleet.describeJob(jobId);
    if (job.executions.every((execution) => TERMINAL_JOB_STATUSES.includes(execution.status))) return job;
    if (now() >= deadline) return job;
    await sleep(WAIT_POLL_MS);
  }
}

export function formatJob(job: JobView): string {
  const rows = job.executions.map((execution) => [
    execution.thing,
    execution.status,
    Object.entries(execution.statusDetails)
      .map(([key, value]) => `${key}=${value}`)
      .join(' '),
  ]);
  return `job ${job.jobId} (${String(job.document.operation ?? '?')}): ${job.status}\n${formatTable(['THING', 'STATUS', 'DETAILS'], rows)}`;
}

/** The update-agent flags, checked: only with update-agent, --bundle and --key together, --url with --aws. */
function updateRequest(
  operation: string,
  values: { bundle?: string; key?: string; url?: string; version?: string },
  aws: boolean,
  io: CliIo,
): UpdateJobRequest | undefined {
  const given = UPDATE_FLAGS.filter((flag) => values[flag] !== undefined);
  if (operation !== 'update-agent') {
    if (given.length > 0) throw new UsageError(`--${given[0]} is for jobs run update-agent`);
    return undefined;
  }
  if (given.length === 0) return undefined; // the document comes whole from --param
  const bundle = nonEmpty('--bundle', values.bundle);
  const key = nonEmpty('--key', values.key);
  if (bundle === undefined || key === undefined)
    throw new UsageError('update-agent needs --bundle FILE and --key KEY.pem together');
  const url = nonEmpty('--url', values.url);
  if (aws && url === undefined) {
    throw new UsageError(
      'with --aws, give --url: where the devices fetch the bundle (a presigned HTTPS URL)',
    );
  }
  const at = (path: string) => resolve(io.cwd ?? process.cwd(), path);
  return {
    bundlePath: at(bundle),
    keyPath: at(key),
    url,
    version: nonEmpty('--version', values.version),
    healthTimeoutSeconds: undefined,
  };
}

function minutes(text: string | undefined): number | undefined {
  const value = nonEmpty('--timeout-minutes', text);
  if (value === undefined) return undefined;
  const number = Number(value);
  // IoT Core: 1 to 10,080 minutes (7 days).
  if (!Number.isInteger(number) || number < 1 || number > 10_080) {
    throw new UsageError(`--timeout-minutes "${value}" must be a whole number of minutes from 1 to 10080`);
  }
  return number;
}
