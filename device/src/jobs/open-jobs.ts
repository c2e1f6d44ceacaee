import type { AgentConfig } from '../config/agent-config.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { LiveConfigApplier } from '../remote-config/live-config-port.js';
import { CapturePhotoHandler } from './handlers/capture-photo.js';
import { RestartHandler } from './handlers/restart.js';
import { SetConfigHandler } from './handlers/set-config.js';
import { type LogUploader, UploadLogsHandler } from './handlers/upload-logs.js';
import type { JobHandler } from './job-handler.js';
import { JobsService } from './jobs-service.js';
import { selectLogSource } from './log-source.js';
import { type PressableStation, StationPhotoTaker } from './station-photo-taker.js';

/** Two handlers claim the same operation: the allow-list would be ambiguous. */
export class DuplicateJobHandlerError extends Error {
  override readonly name = 'DuplicateJobHandlerError';
}

export interface OpenJobsOptions {
  config: AgentConfig;
  /** This agent process's id (new on every start): the restart handler's proof of a restart. */
  bootId: string;
  /** The coffee station, late-bound (built after the jobs' photo taker). */
  station: () => PressableStation | undefined;
  /** The S3 adapter photos use, when a bucket is configured (device/src/upload). */
  s3: {
    putObject(
      object: { key: string; body: Buffer; contentType: string },
      signal?: AbortSignal,
    ): Promise<unknown>;
  } | null;
  applier: LiveConfigApplier;
  /** Handlers built elsewhere on the same interface (update-agent, rotate-cert). */
  extraHandlers?: readonly JobHandler[];
  /** Where upload-logs reads when not under systemd. */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
  onRestartRequested: (jobId: string) => void;
  clock: Clock;
  timers: Timers;
  logger: Logger;
}

export interface OpenedJobs {
  service: JobsService;
  /** Wire to the station's queueEvent: capture-photo learns its press's outcome from it. */
  photoTaker: StationPhotoTaker;
}

/** The jobs service with the agent's allow-list: these handlers and nothing else run. */
export function openJobs(options: OpenJobsOptions): OpenedJobs {
  const { config, s3 } = options;
  const photoTaker = new StationPhotoTaker(options.station);
  const uploader: LogUploader | null = s3
    ? {
        putLog: async (key, body, signal) => {
          await s3.putObject({ key, body, contentType: 'text/plain; charset=utf-8' }, signal);
        },
      }
    : null;
  const handlers: JobHandler[] = [
    new CapturePhotoHandler(photoTaker),
    new UploadLogsHandler({
      thingName: config.thingName,
      source: selectLogSource(options.env ?? process.env, options.logFile),
      uploader,
      clock: options.clock,
    }),
    new SetConfigHandler(options.applier),
    new RestartHandler(options.bootId),
    ...(options.extraHandlers ?? []),
  ];
  const seen = new Set<string>();
  for (const { operation } of handlers) {
    if (seen.has(operation)) throw new DuplicateJobHandlerError(`two job handlers for "${operation}"`);
    seen.add(operation);
  }
  const service = new JobsService({
    thingName: config.thingName,
    handlers,
    stateDir: config.stateDir,
    onRestartRequested: options.onRestartRequested,
    clock: options.clock,
    timers: options.timers,
    logger: options.logger.child({ component: 'jobs' }),
  });
  return { service, photoTaker };
}
