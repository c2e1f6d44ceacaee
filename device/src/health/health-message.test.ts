import { validateHealthMessage } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import type { AgentSnapshot } from './agent-snapshot.js';
import { toHealthMessage } from './health-message.js';

const none = { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 };
const NOW = Date.parse('2026-03-01T10:00:00.000Z');

const snapshot: AgentSnapshot = {
  deviceId: 'coffee-pi-1',
  bootId: '11111111-1111-4111-8111-111111111111',
  agentVersion: '0.1.0',
  transport: 'mqtt.js',
  endpoint: 'broker.local',
  connection: 'connected',
  startedAtMs: NOW - 60_000,
  nowMs: NOW,
  spoolDepth: 3,
  oldestUnsentAtMs: NOW - 3000,
  droppedReadings: 0,
  sensorErrors: 0,
  unstoredReadings: { ...none, ENOSPC: 43, EIO: 1 },
  storageFailure: { cause: 'ENOSPC', path: '/state/spool.sqlite', sinceMs: NOW - 43_000 },
  lastPubackAtMs: null,
  coffee: {
    outboxDepth: 0,
    oldestPendingPhotoAtMs: null,
    outboxDropped: 0,
    captureFailures: 0,
    uploadFailures: 0,
    skippedPresses: 0,
    presses: 1,
    uploaded: 0,
    pendingEvents: 0,
    unrecordedPresses: { ...none, ENOSPC: 1 },
    outboxWriteFailures: none,
  },
};

describe('toHealthMessage: storage failures', () => {
  it('reports unstored readings, the episode in progress and unrecorded presses, valid against health v1', () => {
    const message = toHealthMessage(snapshot);
    expect(message).toMatchObject({
      unstoredReadings: { ENOSPC: 43, EIO: 1, EROFS: 0, other: 0 },
      storageFailure: { cause: 'ENOSPC', path: '/state/spool.sqlite', since: '2026-03-01T09:59:17.000Z' },
      unrecordedPresses: { ENOSPC: 1, EIO: 0, EROFS: 0, other: 0 },
      outboxWriteFailures: none,
    });
    expect(validateHealthMessage(message)).toMatchObject({ ok: true });
    expect(validateHealthMessage({ ...message, storageFailure: null }).ok).toBe(true);
  });

  it('keeps messages of older agents valid and refuses unknown causes', () => {
    const {
      unstoredReadings: _u,
      storageFailure: _s,
      unrecordedPresses: _p,
      outboxWriteFailures: _o,
      ...old
    } = toHealthMessage(snapshot);
    expect(validateHealthMessage(old).ok).toBe(true);
    const message = toHealthMessage(snapshot);
    expect(validateHealthMessage({ ...message, unstoredReadings: { ...none, ENOMEM: 1 } }).ok).toBe(false);
    expect(validateHealthMessage({ ...message, unstoredReadings: { ENOSPC: 1 } }).ok).toBe(false);
    expect(
      validateHealthMessage({ ...message, storageFailure: { cause: 'ENOSPC', path: '/x', since: 'later' } })
        .ok,
    ).toBe(false);
  });
});

describe('toHealthMessage: clock', () => {
  const clock = {
    clockSynchronized: false,
    heldReadings: 120,
    restampedReadings: 0,
    unsynchronizedReadings: 0,
    clockSteps: 1,
  };

  it('reports whether the clock is synchronised and the readings held for restamping, valid against health v1', () => {
    const message = toHealthMessage({ ...snapshot, clock });
    expect(message).toMatchObject(clock);
    expect(validateHealthMessage(message)).toMatchObject({ ok: true });
    expect(validateHealthMessage({ ...message, clockSynchronized: null }).ok).toBe(true);
    expect(validateHealthMessage({ ...message, heldReadings: -1 }).ok).toBe(false);
  });

  it('leaves the clock fields out when the agent does not ask about its clock', () => {
    expect(toHealthMessage(snapshot)).not.toHaveProperty('clockSynchronized');
  });
});
