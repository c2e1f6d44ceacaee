import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { ButtonUnavailableError } from './button-port.js';
import {
  findSenseHatJoystick,
  isMiddlePress,
  JoystickButton,
  nativeInputEventSize,
  parseInputEvents,
} from './joystick-button.js';
import { fakeInputSysfs, inputEvents, QueueEventDevice } from './simulated-drivers.js';

const EV_SYN = 0;
const EV_KEY = 1;
const KEY_ENTER = 28;
const KEY_UP = 103;
const BTN_SELECT = 0x13a;
const JOYSTICK = 'Raspberry Pi Sense HAT Joystick';

describe('parseInputEvents', () => {
  it('reads 24-byte events (64-bit OS) and 16-byte events (32-bit OS)', () => {
    const events: [number, number, number][] = [
      [EV_KEY, KEY_ENTER, 1],
      [EV_SYN, 0, 0],
    ];
    for (const size of [24, 16] as const) {
      expect(parseInputEvents(inputEvents(events, size), size)).toEqual([
        { type: EV_KEY, code: KEY_ENTER, value: 1 },
        { type: EV_SYN, code: 0, value: 0 },
      ]);
    }
  });

  it('ignores a trailing partial event', () => {
    const bytes = inputEvents([[EV_KEY, KEY_ENTER, 1]]);
    expect(parseInputEvents(Buffer.concat([bytes, Buffer.alloc(10)]), 24)).toHaveLength(1);
  });

  it('sizes events by the process architecture', () => {
    expect(nativeInputEventSize('arm64')).toBe(24);
    expect(nativeInputEventSize('x64')).toBe(24);
    expect(nativeInputEventSize('arm')).toBe(16);
  });
});

describe('isMiddlePress', () => {
  it('accepts the press of KEY_ENTER (rpisense-js) and BTN_SELECT (mainline driver) only', () => {
    expect(isMiddlePress({ type: EV_KEY, code: KEY_ENTER, value: 1 })).toBe(true);
    expect(isMiddlePress({ type: EV_KEY, code: BTN_SELECT, value: 1 })).toBe(true);
    expect(isMiddlePress({ type: EV_KEY, code: KEY_ENTER, value: 0 })).toBe(false); // release
    expect(isMiddlePress({ type: EV_KEY, code: KEY_ENTER, value: 2 })).toBe(false); // autorepeat
    expect(isMiddlePress({ type: EV_KEY, code: KEY_UP, value: 1 })).toBe(false);
    expect(isMiddlePress({ type: EV_SYN, code: KEY_ENTER, value: 1 })).toBe(false);
  });
});

describe('JoystickButton', () => {
  let tmp: string;
  let button: JoystickButton | undefined;

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'coffee-iot-joystick-'));
  });
  afterEach(async () => {
    await button?.stop();
    button = undefined;
    vi.useRealTimers();
    await rm(tmp, { recursive: true, force: true });
  });

  it('finds the joystick by its input device name', async () => {
    const root = await fakeInputSysfs(tmp, { event0: 'vc4-hdmi', event3: JOYSTICK, event4: 'gpio_keys' });
    expect(await findSenseHatJoystick(root, '/dev/input')).toBe('/dev/input/event3');
    expect(await findSenseHatJoystick(join(tmp, 'none'))).toBeUndefined();
  });

  it('fails with ButtonUnavailableError naming the overlay when there is no joystick', async () => {
    button = new JoystickButton({
      logger: silentLogger(),
      inputSysfsRoot: await fakeInputSysfs(tmp, { event0: 'vc4-hdmi' }),
    });
    await expect(button.start()).rejects.toThrow(ButtonUnavailableError);
    await expect(button.start()).rejects.toThrow(/dtoverlay=rpi-sense/);
  });

  it('points at the input group when the device cannot be opened', async () => {
    button = new JoystickButton({
      logger: silentLogger(),
      inputSysfsRoot: await fakeInputSysfs(tmp, { event2: JOYSTICK }),
      openDevice: async (path) => {
        throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
      },
    });
    await expect(button.start()).rejects.toThrow(/event2.*EACCES.*input group/);
  });

  it('reports each middle press once: not the release, the autorepeat or the other directions', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const device = new QueueEventDevice();
    button = new JoystickButton({
      logger: silentLogger(),
      inputSysfsRoot: await fakeInputSysfs(tmp, { event2: JOYSTICK }),
      openDevice: async () => device,
    });
    const presses: number[] = [];
    button.onPress((press) => presses.push(press.atMs));
    await button.start();
    device.push(
      inputEvents([
        [EV_KEY, KEY_UP, 1],
        [EV_SYN, 0, 0],
        [EV_KEY, KEY_UP, 0],
        [EV_SYN, 0, 0],
        [EV_KEY, KEY_ENTER, 1],
        [EV_SYN, 0, 0],
        [EV_KEY, KEY_ENTER, 2],
        [EV_KEY, KEY_ENTER, 2],
        [EV_KEY, KEY_ENTER, 0],
        [EV_SYN, 0, 0],
      ]),
    );
    await vi.advanceTimersByTimeAsync(50);
    expect(presses).toEqual([1_700_000_000_050]);
    device.push(inputEvents([[EV_KEY, BTN_SELECT, 1]]));
    await vi.advanceTimersByTimeAsync(50);
    expect(presses).toHaveLength(2);
  });

  it('counts read errors, logs nothing fatal, and closes the device on stop', async () => {
    vi.useFakeTimers();
    const device = new QueueEventDevice();
    button = new JoystickButton({
      logger: silentLogger(),
      inputSysfsRoot: await fakeInputSysfs(tmp, { event2: JOYSTICK }),
      openDevice: async () => device,
    });
    await button.start();
    device.closed = true; // the HAT went away: every read fails
    await vi.advanceTimersByTimeAsync(200);
    expect(button.stats().readErrors).toBe(4);
    device.closed = false;
    await button.stop();
    expect(device.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reads a real file through the default non-blocking opener', async () => {
    // A regular file stands in for /dev/input/eventN: reads return what was appended, then 0.
    const devDir = join(tmp, 'dev');
    await mkdir(devDir);
    await writeFile(join(devDir, 'event5'), '');
    button = new JoystickButton({
      logger: silentLogger(),
      inputSysfsRoot: await fakeInputSysfs(tmp, { event5: JOYSTICK }),
      devInputRoot: devDir,
      pollIntervalMs: 5,
    });
    const presses: string[] = [];
    button.onPress((press) => presses.push(press.source));
    await button.start();
    await appendFile(join(devDir, 'event5'), inputEvents([[EV_KEY, KEY_ENTER, 1]], nativeInputEventSize()));
    await vi.waitFor(() => expect(presses).toEqual(['joystick']), { timeout: 2000, interval: 5 });
  });
});
