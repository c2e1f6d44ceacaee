import { describe, expect, it } from 'vitest';
import type { AgentStatus } from './status-file.js';
import { assessStatus, formatDuration, renderStatus } from './status-report.js';

const status: AgentStatus = {
  pid: 4242,
  updatedAt: '2026-03-01T10:00:00.000Z',
  connection: 'connected',
  transport: 'mqtt.js',
  endpoint: 'broker.local',
  spoolDepth: 120,
  oldestUnsentAt: '2026-03-01T09:58:00.000Z',
  droppedReadings: 7,
  sensorErrors: 0,
  lastPubackAt: '2026-03-01T09:59:59.000Z',
  agentVersion: '0.1.0',
  startedAt: '2026-03-01T07:00:00.000Z',
};
const now = Date.parse('2026-03-01T10:00:02.000Z');
const alive = () => true;
const dead = () => false;

describe('assessStatus', () => {
  it('is running and connected when the pid lives and the file is fresh', () => {
    expect(assessStatus(status, now, alive)).toMatchObject({ running: true, connected: true });
  });

  it('is running but not connected while connecting', () => {
    expect(assessStatus({ ...status, connection: 'connecting' }, now, alive)).toMatchObject({
      running: true,
      connected: false,
    });
  });

  it('is not running when the pid is gone', () => {
    expect(assessStatus(status, now, dead)).toMatchObject({ running: false, reason: 'process 4242 is gone' });
  });

  it('is not running when the file is older than three write periods', () => {
    const later = Date.parse('2026-03-01T10:00:15.001Z');
    expect(assessStatus(status, later, alive)).toMatchObject({
      running: false,
      reason: expect.stringMatching(/^status file is 15s old/),
    });
    expect(assessStatus(status, Date.parse('2026-03-01T10:00:15.000Z'), alive).running).toBe(true);
  });

  it('treats an unparseable time as stale', () => {
    expect(assessStatus({ ...status, updatedAt: 'soon' }, now, alive)).toMatchObject({
      running: false,
      reason: expect.stringMatching(/unreadable time/),
    });
  });

  it('is not running without a status file', () => {
    expect(assessStatus(null, now, alive)).toMatchObject({ running: false, status: null });
  });
});

describe('renderStatus', () => {
  it('shows the last config shadow sync, what waits for a restart and every refusal with its reason', () => {
    const text = renderStatus(
      assessStatus(
        {
          ...status,
          remoteConfig: {
            shadowVersion: 12,
            syncedAt: '2026-03-01T09:59:00.000Z',
            applied: ['intervalMs', 'transport'],
            refused: { batchSeconds: 'pinned by a command-line flag (--batch-seconds)' },
            pendingRestart: ['transport'],
            ignoredStaleDeltas: 0,
            lastError: null,
          },
        },
        now,
        alive,
      ),
      '/var/lib/coffee-iot/status.json',
      now,
    );
    expect(text).toContain('config shadow:   version 12, 2026-03-01T09:59:00.000Z (1m 2s ago)\n');
    expect(text).toContain('  restart needed for: transport\n');
    expect(text).toContain('  refused batchSeconds: pinned by a command-line flag (--batch-seconds)\n');
  });

  it('shows the job in progress and the last outcome with its reason', () => {
    const text = renderStatus(
      assessStatus(
        {
          ...status,
          jobs: {
            current: { jobId: 'photo-9', operation: 'capture-photo', startedAt: '2026-03-01T10:00:00.000Z' },
            last: {
              jobId: 'evil-1',
              operation: 'shell',
              status: 'REJECTED',
              reason: 'operation "shell" is not allowed on this device',
              at: '2026-03-01T09:59:00.000Z',
            },
            succeeded: 3,
            failed: 0,
            rejected: 1,
          },
        },
        now,
        alive,
      ),
      '/s.json',
      now,
    );
    expect(text).toContain(
      'jobs:            capture-photo photo-9 running since 2026-03-01T10:00:00.000Z (2s ago); 3 succeeded, 0 failed, 1 rejected\n',
    );
    expect(text).toContain(
      '  last: shell evil-1 REJECTED 2026-03-01T09:59:00.000Z (1m 2s ago): operation "shell" is not allowed on this device\n',
    );
  });

  it('summarises connection, spool, oldest unsent and its age, drops and last PUBACK', () => {
    const text = renderStatus(assessStatus(status, now, alive), '/var/lib/coffee-iot/status.json', now);
    expect(text).toBe(
      [
        'agent running: pid 4242, version 0.1.0, up 3h 0m',
        'connection:      connected to broker.local via mqtt.js',
        'spool depth:     120 readings',
        'oldest unsent:   2026-03-01T09:58:00.000Z (2m 2s ago)',
        'dropped:         7 readings',
        'sensor errors:   0',
        'last PUBACK:     2026-03-01T09:59:59.000Z (3s ago)',
        'status file:     /var/lib/coffee-iot/status.json',
        '',
      ].join('\n'),
    );
  });

  it('says the agent is not running and shows the last known state', () => {
    const text = renderStatus(
      assessStatus({ ...status, oldestUnsentAt: null, lastPubackAt: null }, now, dead),
      '/s.json',
      now,
    );
    expect(text).toMatch(/^agent not running: process 4242 is gone\n/);
    expect(text).toMatch(/last known state \(written 2026-03-01T10:00:00.000Z \(2s ago\)\):/);
    expect(text).toMatch(/oldest unsent: {3}none/);
    expect(text).toMatch(/last PUBACK: {5}never/);
  });

  it('says where the missing file was looked for', () => {
    expect(renderStatus(assessStatus(null, now, alive), '/s.json', now)).toBe(
      'agent not running: no status file (has the agent ever started?)\nstatus file:     /s.json (missing)\n',
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [61_000, '1m 1s'],
    [3_660_000, '1h 1m'],
    [90_000_000, '1d 1h'],
    [-5000, '0s'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('renderStatus with storage failures', () => {
  const none = { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 };
  it('names the unstored readings by cause and an episode in progress with its path', () => {
    const failing: AgentStatus = {
      ...status,
      unstoredReadings: { ...none, ENOSPC: 43 },
      storageFailure: {
        cause: 'ENOSPC',
        path: '/var/lib/coffee-iot/spool.sqlite',
        since: '2026-03-01T09:59:19.000Z',
      },
      coffee: {
        presses: 2,
        skippedPresses: 0,
        captureFailures: 0,
        outboxDepth: 0,
        oldestPendingPhotoAt: null,
        outboxDropped: 0,
        uploaded: 0,
        uploadFailures: 0,
        pendingEvents: 0,
        unrecordedPresses: { ...none, ENOSPC: 1 },
        outboxWriteFailures: none,
      },
    };
    const text = renderStatus(assessStatus(failing, now, alive), '/var/lib/coffee-iot/status.json', now);
    expect(text).toContain('unstored:        43 readings (ENOSPC 43) (their seqs are missing from the data)');
    expect(text).toContain(
      'STORAGE FAILING: ENOSPC writing /var/lib/coffee-iot/spool.sqlite since 2026-03-01T09:59:19.000Z (43s ago): readings are being lost',
    );
    expect(text).toContain('unrecorded:      1 press (ENOSPC 1) (answered with an error or lost)');
    expect(text).not.toContain('outbox writes:');
  });

  it('says nothing about storage for a file from an older agent', () => {
    const text = renderStatus(assessStatus(status, now, alive), '/s.json', now);
    expect(text).not.toMatch(/unstored|STORAGE/);
  });
});
