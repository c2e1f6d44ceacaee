import type { HealthMessage } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import { DeviceBoard } from './device-board.js';

const AT = new Date('2026-03-05T10:00:00.000Z');
const LATER = new Date('2026-03-05T10:05:00.000Z');

function health(deviceId: string, overrides: Partial<HealthMessage> = {}): HealthMessage {
  return {
    v: 1,
    deviceId,
    bootId: '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
    ts: AT.toISOString(),
    agentVersion: '0.1.0',
    transport: 'mqtt.js',
    uptimeSeconds: 60,
    spoolDepth: 12,
    oldestUnsentAgeSeconds: null,
    droppedReadings: 3,
    sensorErrors: 0,
    lastPubackAt: null,
    ...overrides,
  };
}

describe('DeviceBoard', () => {
  it('starts a device unknown in every field but its id', () => {
    const board = new DeviceBoard();
    board.registered('coffee-pi-1', null, null);

    expect(board.list()).toEqual([
      {
        deviceId: 'coffee-pi-1',
        online: false,
        lastSeenAt: null,
        spoolDepth: null,
        droppedReadings: null,
        outboxDepth: null,
        outboxDropped: null,
        owner: null,
        location: null,
      },
    ]);
  });

  it('merges connection, health and registry into one status per device', () => {
    const board = new DeviceBoard();
    board.registered('coffee-pi-1', 'Ada', 'Kitchen');
    board.connected('coffee-pi-1', AT);
    const status = board.health(health('coffee-pi-1', { outboxDepth: 2, outboxDropped: 1 }), LATER);

    expect(status).toEqual({
      deviceId: 'coffee-pi-1',
      online: true,
      lastSeenAt: LATER.toISOString(),
      spoolDepth: 12,
      droppedReadings: 3,
      outboxDepth: 2,
      outboxDropped: 1,
      unstoredReadings: null,
      unrecordedPresses: null,
      storageFailure: null,
      owner: 'Ada',
      location: 'Kitchen',
    });
    expect(board.list()).toEqual([status]);
  });

  it('keeps what it knew when a device disconnects, only marking it offline', () => {
    const board = new DeviceBoard();
    board.connected('coffee-pi-1', AT);
    board.health(health('coffee-pi-1'), AT);
    board.seen('coffee-pi-1', LATER);

    const status = board.disconnected('coffee-pi-1');

    expect(status).toMatchObject({ online: false, lastSeenAt: LATER.toISOString(), spoolDepth: 12 });
  });

  it('shows an outbox the agent does not report as unknown, not as zero', () => {
    const board = new DeviceBoard();

    expect(board.health(health('coffee-pi-1'), AT)).toMatchObject({ outboxDepth: null, outboxDropped: null });
  });

  it('carries what the device could not store from health, and forgets it when an agent stops reporting it', () => {
    const board = new DeviceBoard();
    const none = { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 };
    const failure = { cause: 'ENOSPC' as const, path: '/state/spool.sqlite', since: AT.toISOString() };
    const failing = health('coffee-pi-1', {
      unstoredReadings: { ...none, ENOSPC: 43 },
      unrecordedPresses: { ...none, ENOSPC: 1 },
      storageFailure: failure,
    });

    expect(board.health(failing, AT)).toMatchObject({
      unstoredReadings: { ENOSPC: 43 },
      unrecordedPresses: { ENOSPC: 1 },
      storageFailure: failure,
    });
    expect(board.health(health('coffee-pi-1'), LATER)).toMatchObject({
      unstoredReadings: null,
      unrecordedPresses: null,
      storageFailure: null,
    });
  });

  it('lists devices in numeric order: coffee-pi-2 before coffee-pi-10', () => {
    const board = new DeviceBoard();
    for (const id of ['coffee-pi-10', 'coffee-pi-2', 'coffee-pi-1', 'coffee-pi-21', 'coffee-pi-3']) {
      board.connected(id, AT);
    }

    expect(board.list().map((device) => device.deviceId)).toEqual([
      'coffee-pi-1',
      'coffee-pi-2',
      'coffee-pi-3',
      'coffee-pi-10',
      'coffee-pi-21',
    ]);
  });
});
