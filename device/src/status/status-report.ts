import { errnoCode } from '../config/config-fs.js';
import { type CauseCounts, formatCauseCounts, totalOf } from '../spool/storage-cause.js';
import { type AgentStatus, STATUS_STALE_AFTER_MS, STATUS_WRITE_INTERVAL_MS } from './status-file.js';

export type StatusAssessment =
  | { running: true; connected: boolean; status: AgentStatus }
  | { running: false; connected: false; reason: string; status: AgentStatus | null };

export type PidProbe = (pid: number) => boolean;

/** Signal 0 probes a pid without touching it; EPERM means it exists under another user. */
export const isPidAlive: PidProbe = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw error;
  }
};

/**
 * Running means the pid is alive AND the file is fresh: a hung agent stops writing, and
 * after a reboot the old pid may belong to another process.
 */
export function assessStatus(status: AgentStatus | null, now: number, pidAlive: PidProbe): StatusAssessment {
  if (status === null) {
    return {
      running: false,
      connected: false,
      reason: 'no status file (has the agent ever started?)',
      status,
    };
  }
  if (!pidAlive(status.pid)) {
    return { running: false, connected: false, reason: `process ${status.pid} is gone`, status };
  }
  const age = now - Date.parse(status.updatedAt);
  if (!(age <= STATUS_STALE_AFTER_MS)) {
    const ageText = Number.isNaN(age) ? 'has an unreadable time' : `is ${formatDuration(age)} old`;
    return {
      running: false,
      connected: false,
      reason: `status file ${ageText}; a running agent rewrites it every ${STATUS_WRITE_INTERVAL_MS / 1000}s`,
      status,
    };
  }
  return { running: true, connected: status.connection === 'connected', status };
}

/** `3h 12m`, `5m 3s`, `42s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${rest}s`;
  return `${rest}s`;
}

function when(iso: string | null, now: number, never: string): string {
  if (iso === null) return never;
  return `${iso} (${formatDuration(now - Date.parse(iso))} ago)`;
}

/** The human summary `coffee-iot-agent status` prints. */
export function renderStatus(assessment: StatusAssessment, statusFile: string, now: number): string {
  const { status } = assessment;
  const lines: string[] = [];
  if (assessment.running) {
    lines.push(
      `agent running: pid ${assessment.status.pid}, version ${assessment.status.agentVersion}, up ${formatDuration(
        now - Date.parse(assessment.status.startedAt),
      )}`,
    );
  } else {
    lines.push(`agent not running: ${assessment.reason}`);
  }
  if (status === null) {
    lines.push(`status file:     ${statusFile} (missing)`);
    return `${lines.join('\n')}\n`;
  }
  if (!assessment.running) lines.push(`last known state (written ${when(status.updatedAt, now, '')}):`);
  lines.push(
    `connection:      ${status.connection} to ${status.endpoint} via ${status.transport ?? '(no transport yet)'}`,
    `spool depth:     ${status.spoolDepth} reading${status.spoolDepth === 1 ? '' : 's'}`,
    `oldest unsent:   ${when(status.oldestUnsentAt, now, 'none')}`,
    `dropped:         ${status.droppedReadings} reading${status.droppedReadings === 1 ? '' : 's'}`,
    `sensor errors:   ${status.sensorErrors}`,
  );
  if (status.unstoredReadings) {
    lines.push(
      `unstored:        ${countByCause(status.unstoredReadings, 'reading')} (their seqs are missing from the data)`,
    );
  }
  if (status.storageFailure) {
    const { cause, path, since } = status.storageFailure;
    lines.push(
      `STORAGE FAILING: ${cause} writing ${path} since ${when(since, now, '')}: readings are being lost`,
    );
  }
  lines.push(`last PUBACK:     ${when(status.lastPubackAt, now, 'never')}`);
  if (status.clock) lines.push(`clock:           ${clockLine(status.clock)}`);
  const { coffee } = status;
  if (coffee) {
    lines.push(
      `coffee presses:  ${coffee.presses} (${coffee.skippedPresses} skipped, ${coffee.captureFailures} camera failures)`,
      `photo outbox:    ${coffee.outboxDepth} waiting, oldest ${when(coffee.oldestPendingPhotoAt, now, 'none')}, ${coffee.outboxDropped} dropped`,
      `uploads:         ${coffee.uploaded} done, ${coffee.uploadFailures} failed attempts`,
    );
    if (coffee.unrecordedPresses) {
      lines.push(
        `unrecorded:      ${countByCause(coffee.unrecordedPresses, 'press', 'presses')} (answered with an error or lost)`,
      );
    }
    if (coffee.outboxWriteFailures && totalOf(coffee.outboxWriteFailures) > 0) {
      lines.push(`outbox writes:   ${countByCause(coffee.outboxWriteFailures, 'failure')}`);
    }
  }
  if (status.remoteConfig) lines.push(...remoteConfigLines(status.remoteConfig, now));
  if (status.jobs) lines.push(...jobsLines(status.jobs, now));
  lines.push(`status file:     ${statusFile}`);
  return `${lines.join('\n')}\n`;
}

/** The config shadow: last sync, and every refusal with its reason (the operator's "why not"). */
function remoteConfigLines(remote: NonNullable<AgentStatus['remoteConfig']>, now: number): string[] {
  const synced =
    remote.shadowVersion === null
      ? `not synced yet${remote.syncedAt ? `, last ${when(remote.syncedAt, now, '')}` : ''}`
      : `version ${remote.shadowVersion}, ${when(remote.syncedAt, now, 'never')}`;
  const lines = [`config shadow:   ${synced}${remote.lastError ? `; ${remote.lastError}` : ''}`];
  if (remote.pendingRestart.length > 0) {
    lines.push(`  restart needed for: ${remote.pendingRestart.join(', ')}`);
  }
  for (const [key, reason] of Object.entries(remote.refused)) lines.push(`  refused ${key}: ${reason}`);
  return lines;
}

/** Jobs: the one in progress, and the last outcome with its reason (why a job failed). */
function jobsLines(jobs: NonNullable<AgentStatus['jobs']>, now: number): string[] {
  const { current, last } = jobs;
  const counts = `${jobs.succeeded} succeeded, ${jobs.failed} failed, ${jobs.rejected} rejected`;
  const lines = [
    `jobs:            ${current ? `${current.operation} ${current.jobId} running since ${when(current.startedAt, now, '')}` : 'none running'}; ${counts}`,
  ];
  if (last) {
    lines.push(
      `  last: ${last.operation} ${last.jobId} ${last.status} ${when(last.at, now, '')}${last.reason ? `: ${last.reason}` : ''}`,
    );
  }
  return lines;
}

/** `0 readings`, `42 readings (ENOSPC 40, EIO 2)`. */
function countByCause(counts: CauseCounts, noun: string, plural = `${noun}s`): string {
  const total = totalOf(counts);
  const text = `${total} ${total === 1 ? noun : plural}`;
  return total === 0 ? text : `${text} (${formatCauseCounts(counts)})`;
}

/** Whether readings can be trusted in time, and what waited or went out unsynchronised. */
function clockLine(clock: NonNullable<AgentStatus['clock']>): string {
  const state =
    clock.clockSynchronized === null
      ? 'synchronisation unknown (trusted)'
      : clock.clockSynchronized
        ? 'synchronised'
        : 'NOT synchronised (check NTP: timedatectl)';
  return `${state}; ${clock.heldReadings} held, ${clock.restampedReadings} restamped, ${clock.unsynchronizedReadings} sent unsynchronised`;
}
