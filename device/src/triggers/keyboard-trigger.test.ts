import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { type KeyboardInput, KeyboardTrigger } from './keyboard-trigger.js';

/** A stdin stand-in: a PassThrough with the tty.ReadStream bits the trigger touches. */
function fakeStdin(isTTY: boolean) {
  const modes: boolean[] = [];
  const input = new PassThrough() as PassThrough & KeyboardInput;
  input.isTTY = isTTY;
  input.isRaw = false;
  if (isTTY) {
    input.setRawMode = (mode: boolean) => {
      modes.push(mode);
      input.isRaw = mode;
      return input;
    };
  }
  return { input, modes };
}

/** Lets the PassThrough deliver what was written. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyboardTrigger', () => {
  let trigger: KeyboardTrigger | undefined;
  afterEach(async () => {
    await trigger?.stop();
    trigger = undefined;
  });

  const start = async (isTTY: boolean, onInterrupt?: () => void) => {
    const stdin = fakeStdin(isTTY);
    trigger = new KeyboardTrigger({
      logger: silentLogger(),
      input: stdin.input,
      clock: { now: () => 1234 },
      ...(onInterrupt ? { onInterrupt } : {}),
    });
    const presses: string[] = [];
    trigger.onPress((press) => presses.push(`${press.source}@${press.atMs}`));
    await trigger.start();
    return { ...stdin, presses, trigger };
  };

  it('on a terminal, counts Enter and c as presses the moment they are typed, in raw mode', async () => {
    const { input, modes, presses } = await start(true);
    expect(modes).toEqual([true]);
    input.write('\r');
    input.write('c');
    input.write('C');
    input.write('x'); // not a trigger key
    await flush();
    expect(presses).toEqual(['keyboard@1234', 'keyboard@1234', 'keyboard@1234']);
  });

  it('restores the terminal mode it found on stop, and stops listening', async () => {
    const { input, modes, presses, trigger: t } = await start(true);
    await t.stop();
    await t.stop();
    expect(modes).toEqual([true, false]);
    expect(input.isRaw).toBe(false);
    expect(input.listenerCount('data')).toBe(0);
    expect(input.isPaused()).toBe(true);
    input.write('\r');
    await flush();
    expect(presses).toEqual([]);
  });

  it('passes Ctrl-C on, because raw mode swallows SIGINT', async () => {
    let interrupts = 0;
    const { input, presses } = await start(true, () => {
      interrupts += 1;
    });
    input.write('\x03');
    await flush();
    expect(interrupts).toBe(1);
    expect(presses).toEqual([]);
  });

  it('when stdin is piped, counts empty lines and "c" lines, even split across chunks', async () => {
    const { input, modes, presses, trigger: t } = await start(false);
    expect(modes).toEqual([]);
    expect(t.rawMode).toBe(false);
    input.write('\n');
    input.write('c\nhello\n');
    input.write('  C ');
    await flush();
    expect(presses).toHaveLength(2);
    input.write('\n');
    await flush();
    expect(presses).toHaveLength(3);
  });
});
