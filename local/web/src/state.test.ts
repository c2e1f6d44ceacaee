import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  knownDeviceIds,
  MAX_COFFEES,
  sameCoffee,
  serverNow,
  stateFromSnapshot,
  trimTelemetry,
} from './state.js';
import { coffee, device, HOUR, point, STEP, snapshot, stats, T0 } from './testing/fixtures.js';

describe('stateFromSnapshot', () => {
  it('measures the server clock against the browser clock', () => {
    const state = stateFromSnapshot(snapshot(), T0 - 60_000);
    expect(state.clockOffsetMs).toBe(60_000);
    expect(serverNow(state, T0 - 60_000 + 5_000)).toBe(T0 + 5_000);
  });

  it('indexes devices and telemetry by device id', () => {
    const state = stateFromSnapshot(snapshot(), T0);
    expect(state.devices.get('dev-1')?.online).toBe(true);
    expect(state.telemetry.get('dev-1')).toHaveLength(2);
  });
});

describe('applyEvent', () => {
  it('appends telemetry and drops what fell out of the window', () => {
    const state = stateFromSnapshot(
      snapshot({ telemetry: { 'dev-1': [point(T0 - HOUR - STEP), point(T0 - STEP)] } }),
      T0,
    );
    const changed = applyEvent(
      state,
      { name: 'telemetry', data: { deviceId: 'dev-1', points: [point(T0 + 1000)] } },
      T0 + 1000,
    );
    // The newer reading also moves the device's last seen on.
    expect(changed).toEqual(['telemetry', 'devices']);
    expect(state.telemetry.get('dev-1')?.map((p) => p.t)).toEqual([T0 - STEP, T0 + 1000]);
  });

  it("moves a device's last seen on to its newest reading, never back", () => {
    const state = stateFromSnapshot(snapshot(), T0);
    const seenBefore = state.devices.get('dev-1')?.lastSeenAt as string;
    const later = Date.parse(seenBefore) + 7000;
    const changed = applyEvent(
      state,
      { name: 'telemetry', data: { deviceId: 'dev-1', points: [point(later)] } },
      later,
    );
    expect(changed).toEqual(['telemetry', 'devices']);
    expect(state.devices.get('dev-1')?.lastSeenAt).toBe(new Date(later).toISOString());
    applyEvent(
      state,
      { name: 'telemetry', data: { deviceId: 'dev-1', points: [point(later - 60_000)] } },
      later,
    );
    expect(state.devices.get('dev-1')?.lastSeenAt).toBe(new Date(later).toISOString());
  });

  it('starts a series for a device the snapshot did not have', () => {
    const state = stateFromSnapshot(snapshot(), T0);
    applyEvent(state, { name: 'telemetry', data: { deviceId: 'dev-2', points: [point(T0)] } }, T0);
    expect(state.telemetry.get('dev-2')).toEqual([point(T0)]);
    expect(knownDeviceIds(state)).toEqual(['dev-1', 'dev-2']);
  });

  it('replaces a device row', () => {
    const state = stateFromSnapshot(snapshot(), T0);
    const changed = applyEvent(state, { name: 'device', data: device('dev-1', { online: false }) }, T0);
    expect(changed).toContain('devices');
    expect(state.devices.get('dev-1')?.online).toBe(false);
    expect(state.devices.size).toBe(1);
  });

  it('puts a new coffee first and replaces the stats', () => {
    const state = stateFromSnapshot(snapshot(), T0);
    const changed = applyEvent(
      state,
      { name: 'coffee', data: { coffee: coffee('photo-2'), stats: stats(2) } },
      T0,
    );
    expect(changed).toEqual(['coffees', 'stats']);
    expect(state.coffees.map((c) => c.photoKey)).toEqual(['photo-2', 'photo-1']);
    expect(state.stats.overall.cups).toBe(2);
  });

  it(`keeps at most ${MAX_COFFEES} coffees`, () => {
    const coffees = Array.from({ length: MAX_COFFEES }, (_, i) => coffee(`old-${i}`));
    const state = stateFromSnapshot(snapshot({ coffees }), T0);
    applyEvent(state, { name: 'coffee', data: { coffee: coffee('new'), stats: stats(13) } }, T0);
    expect(state.coffees).toHaveLength(MAX_COFFEES);
    expect(state.coffees[0]?.photoKey).toBe('new');
    expect(state.coffees.at(-1)?.photoKey).toBe(`old-${MAX_COFFEES - 2}`);
  });

  it('lists a coffee received twice once, with its newer version', () => {
    const state = stateFromSnapshot(snapshot(), T0);
    const again = coffee('photo-1', { photoUrl: null });
    applyEvent(state, { name: 'coffee', data: { coffee: again, stats: stats(1) } }, T0);
    expect(state.coffees).toEqual([again]);
  });
});

describe('trimTelemetry', () => {
  it('drops points as time passes and says whether anything changed', () => {
    const state = stateFromSnapshot(snapshot({ telemetry: { 'dev-1': [point(T0 - STEP), point(T0)] } }), T0);
    expect(trimTelemetry(state, T0 + 1000)).toBe(false);
    expect(trimTelemetry(state, T0 + HOUR - STEP / 2)).toBe(true);
    expect(state.telemetry.get('dev-1')?.map((p) => p.t)).toEqual([T0]);
  });
});

describe('knownDeviceIds', () => {
  it('sorts ids the way people count', () => {
    const state = stateFromSnapshot(
      snapshot({ devices: [device('dev-10'), device('dev-2'), device('dev-1')], telemetry: {} }),
      T0,
    );
    expect(knownDeviceIds(state)).toEqual(['dev-1', 'dev-2', 'dev-10']);
  });
});

describe('sameCoffee', () => {
  it('is true for equal coffees that are different objects, as each poll brings', () => {
    const polled = JSON.parse(JSON.stringify(coffee('photos/a.jpg')));
    expect(sameCoffee(coffee('photos/a.jpg'), polled)).toBe(true);
  });

  it('is false when any field differs, including null against a value', () => {
    expect(sameCoffee(coffee('photos/a.jpg'), coffee('photos/a.jpg', { status: 'missing' }))).toBe(false);
    expect(sameCoffee(coffee('photos/a.jpg'), coffee('photos/a.jpg', { photoUrl: null }))).toBe(false);
    expect(
      sameCoffee(coffee('photos/a.jpg', { smile: null }), coffee('photos/a.jpg', { smile: false })),
    ).toBe(false);
  });

  it('is false when one has a field the other lacks', () => {
    const { reason: _reason, ...withoutReason } = coffee('photos/a.jpg');
    const extra = { ...withoutReason, note: 'x' } as unknown as ReturnType<typeof coffee>;
    expect(sameCoffee(coffee('photos/a.jpg'), extra)).toBe(false);
  });
});
