import { describe, expect, it } from 'vitest';
import { LedError, type LedMatrix } from './led-port.js';
import { RecordingLeds } from './recording-leds.js';
import { openSenseHatLeds, type SenseHatLedSync } from './sense-hat-leds.js';
import { TerminalLeds } from './terminal-leds.js';

/** One suite for every LedMatrix, so the terminal mock and the test double behave like the HAT. */
function ledMatrixContract(name: string, open: () => Promise<LedMatrix>) {
  describe(`LedMatrix contract: ${name}`, () => {
    it('shows digits, icons, the flash and a blank matrix', async () => {
      const leds = await open();
      for (const digit of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const) await leds.showDigit(digit);
      for (const icon of ['offline', 'uploading', 'error', 'ok'] as const) await leds.showIcon(icon);
      await leds.flash();
      await leds.clear();
      await leds.close();
    });

    it('closes idempotently and rejects later calls with LedError', async () => {
      const leds = await open();
      await leds.close();
      await leds.close();
      await expect(leds.showDigit(3)).rejects.toBeInstanceOf(LedError);
      await expect(leds.flash()).rejects.toBeInstanceOf(LedError);
      await expect(leds.showIcon('ok')).rejects.toBeInstanceOf(LedError);
      await expect(leds.clear()).rejects.toBeInstanceOf(LedError);
    });
  });
}

const fakeDriver = (): { sync: SenseHatLedSync } => ({
  sync: { setPixels: () => undefined, setRotation: () => undefined },
});

ledMatrixContract('Sense HAT (fake sense-hat-led)', () =>
  openSenseHatLeds({ loadDriver: async () => fakeDriver() }),
);
ledMatrixContract('terminal', async () => new TerminalLeds({ write: () => undefined, force: true }));
ledMatrixContract('recording', async () => new RecordingLeds());
