import type { Press } from '@coffee-iot/device';
import { describe, expect, it } from 'vitest';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { RemotePressTrigger } from './remote-trigger.js';

function trigger(nowMs = 1_700_000_000_000) {
  const clock = { now: () => nowMs };
  const logs = captureLogs();
  return { trigger: new RemotePressTrigger(clock, logs.logger), logs, setNow: (ms: number) => (nowMs = ms) };
}

describe('RemotePressTrigger', () => {
  it("reports a press as an 'http' press at the clock's time once started", async () => {
    const { trigger: remote, setNow } = trigger();
    const presses: Press<'http'>[] = [];
    remote.onPress((press) => presses.push(press));
    await remote.start();
    setNow(1_700_000_000_250);

    expect(remote.press()).toBe(true);
    expect(presses).toEqual([{ atMs: 1_700_000_000_250, source: 'http' }]);
    expect(remote.name).toBe('remote');
  });

  it('refuses presses before start and after stop, telling no listener', async () => {
    const { trigger: remote } = trigger();
    const presses: Press<'http'>[] = [];
    remote.onPress((press) => presses.push(press));

    expect(remote.press()).toBe(false);
    await remote.start();
    await remote.stop();
    expect(remote.press()).toBe(false);
    expect(presses).toEqual([]);
  });

  it('tells every listener, logging one that throws without missing the others', async () => {
    const { trigger: remote, logs } = trigger();
    const heard: string[] = [];
    remote.onPress(() => heard.push('first'));
    remote.onPress(() => {
      throw new Error('listener broke');
    });
    remote.onPress(() => heard.push('third'));
    await remote.start();

    expect(remote.press()).toBe(true);

    expect(heard).toEqual(['first', 'third']);
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: LEVEL.error,
        msg: 'press listener failed',
        err: expect.objectContaining({ message: 'listener broke' }),
      }),
    ]);
  });

  it('stops telling a listener that unsubscribed', async () => {
    const { trigger: remote } = trigger();
    const heard: string[] = [];
    const unsubscribe = remote.onPress(() => heard.push('gone'));
    remote.onPress(() => heard.push('stays'));
    await remote.start();

    unsubscribe();
    remote.press();

    expect(heard).toEqual(['stays']);
  });
});
