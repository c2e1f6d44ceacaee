import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import type { Button, ButtonPress, ButtonSource } from './button-port.js';
import { FakeButton } from './fake-button.js';
import { JoystickButton } from './joystick-button.js';
import { OnoffButton } from './onoff-button.js';
import {
  fakeGpioSysfs,
  fakeInputSysfs,
  inputEvents,
  QueueEventDevice,
  simulatedOnoff,
} from './simulated-drivers.js';

/**
 * One suite for every Button, so the fake that --mock and the flow's tests use behaves like the
 * GPIO and joystick adapters (MQTT.js's abstract suites are the model). The hardware adapters
 * run over fake drivers that model the kernel: a sysfs GPIO with an electrical level, an evdev
 * device with a queue of events.
 */

const T0 = 1_700_000_000_000;

interface Harness {
  button: Button;
  source: ButtonSource;
  /** One physical push and release, taking 120 ms of fake time. */
  push(): Promise<void>;
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'coffee-iot-button-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const harnesses: { name: string; create: () => Promise<Harness> }[] = [
  {
    name: 'FakeButton',
    create: async () => {
      const button = new FakeButton();
      const push = async () => {
        button.press();
        await vi.advanceTimersByTimeAsync(120);
      };
      return { button, source: 'button', push };
    },
  },
  {
    name: 'OnoffButton over a simulated sysfs GPIO',
    create: async () => {
      const onoff = simulatedOnoff();
      const button = new OnoffButton({
        pin: 17,
        logger: silentLogger(),
        gpioSysfsRoot: await fakeGpioSysfs(join(tmp, 'onoff'), 512),
        loadDriver: async () => onoff.module,
      });
      const push = async () => {
        const gpio = onoff.latest();
        for (const level of [0, 1, 0, 1, 0] as const) gpio?.drive(level);
        await vi.advanceTimersByTimeAsync(60);
        gpio?.drive(1);
        await vi.advanceTimersByTimeAsync(60);
      };
      return { button, source: 'button', push };
    },
  },
  {
    name: 'JoystickButton over a queued evdev device',
    create: async () => {
      const devices: QueueEventDevice[] = [];
      const button = new JoystickButton({
        logger: silentLogger(),
        inputSysfsRoot: await fakeInputSysfs(join(tmp, 'joystick'), {
          event0: 'vc4-hdmi',
          event1: 'Raspberry Pi Sense HAT Joystick',
        }),
        openDevice: async () => {
          const device = new QueueEventDevice();
          devices.push(device);
          return device;
        },
      });
      const push = async () => {
        devices.at(-1)?.push(
          inputEvents([
            [1, 28, 1],
            [0, 0, 0],
          ]),
        );
        await vi.advanceTimersByTimeAsync(60);
        devices.at(-1)?.push(
          inputEvents([
            [1, 28, 0],
            [0, 0, 0],
          ]),
        );
        await vi.advanceTimersByTimeAsync(60);
      };
      return { button, source: 'joystick', push };
    },
  },
];

for (const { name, create } of harnesses) {
  describe(`Button contract: ${name}`, () => {
    let harness: Harness;
    let presses: ButtonPress[];

    beforeEach(async () => {
      vi.useFakeTimers({ now: T0 });
      harness = await create();
      presses = [];
      harness.button.onPress((press) => presses.push(press));
    });
    afterEach(async () => {
      await harness.button.stop();
      vi.useRealTimers();
    });

    it('reports one press per push, with its source and the time of the push', async () => {
      await harness.button.start();
      await harness.push();
      await harness.push();
      expect(presses.map((press) => press.source)).toEqual([harness.source, harness.source]);
      // Within one debounce window or joystick poll (≤ 50 ms) of the finger landing.
      expect(presses[0]?.atMs).toBeGreaterThanOrEqual(T0);
      expect(presses[0]?.atMs).toBeLessThanOrEqual(T0 + 50);
      expect(presses[1]?.atMs).toBeGreaterThanOrEqual(T0 + 120);
      expect(presses[1]?.atMs).toBeLessThanOrEqual(T0 + 170);
    });

    it('reports nothing after stop, stops idempotently, and works again after a restart', async () => {
      await harness.button.start();
      await harness.button.stop();
      await harness.button.stop();
      await harness.push();
      expect(presses).toEqual([]);
      await harness.button.start();
      await harness.push();
      expect(presses).toHaveLength(1);
    });

    it('leaves no timers behind after stop', async () => {
      await harness.button.start();
      await harness.push();
      await harness.button.stop();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('stops calling a listener once it unsubscribes', async () => {
      const other: ButtonPress[] = [];
      const unsubscribe = harness.button.onPress((press) => other.push(press));
      await harness.button.start();
      await harness.push();
      unsubscribe();
      await harness.push();
      expect(other).toHaveLength(1);
      expect(presses).toHaveLength(2);
    });

    it('keeps calling the other listeners when one throws', async () => {
      harness.button.onPress(() => {
        throw new Error('listener bug');
      });
      const after: ButtonPress[] = [];
      harness.button.onPress((press) => after.push(press));
      await harness.button.start();
      await harness.push();
      await harness.push();
      expect(presses).toHaveLength(2);
      expect(after).toHaveLength(2);
    });
  });
}
