import { describe, expect, it } from 'vitest';
import { captureLogs } from '../testing/capture-logs.js';
import { LedError, type LedMatrix } from './led-port.js';
import { RecordingLeds } from './recording-leds.js';
import { SafeLedMatrix } from './safe-leds.js';

describe('SafeLedMatrix', () => {
  it('swallows a failing LED call, counts it and logs it with the operation', async () => {
    const { logger, lines } = captureLogs('info');
    const safe = new SafeLedMatrix(new RecordingLeds({ failOn: ['flash'] }), logger);
    await expect(safe.flash()).resolves.toBeUndefined();
    expect(safe.failures).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'LED update failed', op: 'flash', ledFailures: 1 });
    expect(lines[0]?.err).toMatchObject({ type: 'LedError' });
  });

  it('catches synchronous throws too', async () => {
    const { logger } = captureLogs('info');
    const throwing = {
      showDigit: () => {
        throw new LedError('sync');
      },
    } as unknown as LedMatrix;
    const safe = new SafeLedMatrix(throwing, logger);
    await expect(safe.showDigit(1)).resolves.toBeUndefined();
    expect(safe.failures).toBe(1);
  });

  it('logs the first failure of a streak and the recovery, not every failure', async () => {
    const { logger, lines } = captureLogs('info');
    const inner = new RecordingLeds({ failOn: ['digit'] });
    const safe = new SafeLedMatrix(inner, logger);
    for (let i = 0; i < 5; i += 1) await safe.showDigit(3);
    await safe.clear();
    expect(safe.failures).toBe(5);
    expect(lines.map((line) => line.msg)).toEqual(['LED update failed', 'LED update recovered']);
  });

  it('passes successful calls through to the inner matrix', async () => {
    const { logger, lines } = captureLogs('info');
    const inner = new RecordingLeds();
    const safe = new SafeLedMatrix(inner, logger);
    await safe.showDigit(2);
    await safe.showIcon('uploading');
    await safe.flash();
    await safe.clear();
    await safe.close();
    expect(inner.script).toEqual(['2', 'icon:uploading', 'flash', 'clear', 'close']);
    expect(safe.failures).toBe(0);
    expect(lines).toEqual([]);
  });
});
