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

    expect(remote.press()).toEqual({ status: 202, body: { accepted: true } });
    expect(presses).toEqual([{ atMs: 1_700_000_000_250, source: 'http' }]);
    expect(remote.name).toBe('remote');
  });

  it('refuses presses before start and after stop, telling no listener', async () => {
    const { trigger: remote } = trigger();
    const presses: Press<'http'>[] = [];
    remote.onPress((press) => presses.push(press));

    expect(remote.press()).toBeNull();
    await remote.start();
    await remote.stop();
    expect(remote.press()).toBeNull();
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

    expect(remote.press()).toMatchObject({ status: 202 });

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

  // As the control port: the coffee flow answers 202 only for a press on disk (issue 12).
  it('lets the coffee flow answer each press, so one that could not be recorded is not a 202', async () => {
    const { trigger: remote } = trigger();
    const told: string[] = [];
    remote.onPress(() => told.push('listener'));
    const taken: Press<'http'>[] = [];
    remote.answerPresses((press) => {
      taken.push(press);
      return {
        status: 507,
        body: { accepted: false, error: 'the press could not be recorded (ENOSPC): disk full' },
      };
    });
    await remote.start();

    expect(remote.press()).toEqual({
      status: 507,
      body: { accepted: false, error: 'the press could not be recorded (ENOSPC): disk full' },
    });
    expect(taken).toHaveLength(1);
    expect(told).toEqual([]);
  });

  it('answers 500 when the answering handler throws, and logs it', async () => {
    const { trigger: remote, logs } = trigger();
    remote.answerPresses(() => {
      throw new Error('flow broke');
    });
    await remote.start();

    expect(remote.press()).toMatchObject({
      status: 500,
      body: { error: expect.stringContaining('flow broke') },
    });
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: LEVEL.error, msg: 'press handler failed' }),
    );
  });
});
