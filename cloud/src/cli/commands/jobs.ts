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
import { UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from '../cli-io.js';
import { type LakeCommand, nonEmpty, parseCommandLine, runLakeCommand } from '../lake-command.js';
import { formatTable } from '../text-table.js';
import { FLEET_TARGET_OPTIONS, FLEET_TARGET_USAGE, fleetTarget, thingNames } from './fleet-flags.js';

export const JOBS_USAGE = `Usage: coffee-iot jobs run OPERATION --things A[,B…] [--param KEY=VALUE]... [--timeout-minutes N] [--wait]
       coffee-iot jobs status JOB_ID [--wait]

Runs an operation on devices as an IoT job and follows it. Devices run only these operations
(any other is refused here and by the agent): ${JOB_OPERATIONS.join(', ')}.

  --things A,B         the devices (thing names)
  --param KEY=VALUE    a job document parameter (JSON values as JSON); repeat for several,
                       e.g. upload-logs --param lines=500, set-config --param config.batchSeconds=10
  --timeout-minutes N  an execution still IN_PROGRESS after N minutes becomes TIMED_OUT
  --wait               poll every 2 s until every execution has finished; exit 1 unless all SUCCEEDED
${FLEET_TARGET_USAGE}

Exit status: 0 done (with --wait: every execution SUCCEEDED); 1 failed; 2 bad usage.
`;

const OPTIONS = {
  ...FLEET_TARGET_OPTIONS,
  things: { type: 'string' },
  param: { type: 'string', multiple: true },
  'timeout-minutes': { type: 'string' },
  wait: { type: 'boolean' },
} as const;

/** How often --wait asks; each ask is a few API calls per execution. */
export const WAIT_POLL_MS = 2000;

type JobsCommand =
  | {
      verb: 'run';
      operation: string;
      document: Record<string, unknown>;
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
  plainErrors: ['FleetControlError'],
  parse(argv, io) {
    const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
    if (values.help === true) return 'help';
    const [verb, subject, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const target = fleetTarget(values, io);
    const common = { wait: values.wait === true, json: values.json === true, target };
    if (verb === 'status') {
      if (subject === undefined) throw new UsageError('jobs status needs a JOB_ID');
      for (const flag of ['things', 'param', 'timeout-minutes'] as const) {
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
      await fleet.createJob({
        jobId,
        document: command.document,
        targets: command.things,
        ...(command.timeoutMinutes === undefined ? {} : { inProgressTimeoutMinutes: command.timeoutMinutes }),
      });
      io.stderr.write(`coffee-iot: created job ${jobId} for ${command.things.join(', ')}\n`);
    } else {
      jobId = command.jobId;
    }
    const job = command.wait ? await waitForJob(fleet, jobId) : await fleet.describeJob(jobId);
    io.stdout.write(command.json ? `${JSON.stringify(job, null, 2)}\n` : formatJob(job));
    if (!command.wait) return EXIT_OK;
    return job.executions.every((execution) => execution.status === 'SUCCEEDED') ? EXIT_OK : EXIT_FAILURE;
  },
};

export function runJobs(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand(spec, argv, io);
}

export async function waitForJob(
  fleet: FleetControl,
  jobId: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<JobView> {
  for (;;) {
    const job = await fleet.describeJob(jobId);
    if (job.executions.every((execution) => TERMINAL_JOB_STATUSES.includes(execution.status))) return job;
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
