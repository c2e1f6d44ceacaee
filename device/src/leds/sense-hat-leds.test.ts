import { describe, expect, it } from 'vitest';
import { digitFrame, frameToText } from './glyphs.js';
import { LedError, LedUnavailableError } from './led-port.js';
import { openSenseHatLeds, type SenseHatLedSync } from './sense-hat-leds.js';

function fakeDriver(options: { failWith?: Error } = {}) {
  const frames: number[][][] = [];
  const rotations: [number, boolean | undefined][] = [];
  const sync: SenseHatLedSync = {
    setPixels(pixels) {
      if (options.failWith) throw options.failWith;
      frames.push(pixels);
    },
    setRotation(rotation, redraw) {
      rotations.push([rotation, redraw]);
    },
  };
  // sense-hat-led is CommonJS; import() puts module.exports on `default`.
  return { module: { default: { sync } }, frames, rotations };
}

describe('openSenseHatLeds', () => {
  it('writes whole frames of 64 RGB triples through the synchronous setPixels', async () => {
    const driver = fakeDriver();
    const leds = await openSenseHatLeds({ loadDriver: async () => driver.module });
    await leds.showDigit(3);
    expect(driver.frames).toHaveLength(1);
    const frame = driver.frames[0] ?? [];
    expect(frame).toHaveLength(64);
    expect(
      frame.every((rgb) => rgb.length === 3 && rgb.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)),
    ).toBe(true);
    expect(frameToText(frame as unknown as ReturnType<typeof digitFrame>)).toEqual(
      frameToText(digitFrame(3)),
    );
  });

  it('blanks the matrix when closed', async () => {
    const driver = fakeDriver();
    const leds = await openSenseHatLeds({ loadDriver: async () => driver.module });
    await leds.flash();
    await leds.close();
    expect(driver.frames.at(-1)?.every((rgb) => rgb.join() === '0,0,0')).toBe(true);
  });

  it('applies the configured rotation once, without redrawing', async () => {
    const driver = fakeDriver();
    await openSenseHatLeds({ rotation: 180, loadDriver: async () => driver.module });
    expect(driver.rotations).toEqual([[180, false]]);
  });

  it('turns a framebuffer write failure into LedError with the cause', async () => {
    const cause = new Error('EIO: i/o error, write');
    const driver = fakeDriver({ failWith: cause });
    const leds = await openSenseHatLeds({ loadDriver: async () => driver.module });
    const error = await leds.flash().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedError);
    expect((error as Error).cause).toBe(cause);
  });

  it('explains a driver that cannot load (no HAT) and suggests --mock', async () => {
    const cause = new Error('Cannot detect RPi-Sense FB device');
    const error = await openSenseHatLeds({
      loadDriver: async () => {
        throw cause;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedUnavailableError);
    expect((error as Error).message).toMatch(/Cannot detect RPi-Sense FB device.*--mock/);
    expect((error as Error).cause).toBe(cause);
  });

  it('refuses a driver without the sync API and a rotation that is not a quarter turn', async () => {
    await expect(openSenseHatLeds({ loadDriver: async () => ({}) })).rejects.toThrow(LedUnavailableError);
    await expect(
      openSenseHatLeds({ rotation: 45 as 90, loadDriver: async () => fakeDriver().module }),
    ).rejects.toThrow(/rotation/);
  });

  it('fails as LedUnavailableError on a machine without a Sense HAT (or without the driver)', async () => {
    await expect(openSenseHatLeds()).rejects.toBeInstanceOf(LedUnavailableError);
  });
});
