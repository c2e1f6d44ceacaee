import { describe, expect, it } from 'vitest';
import { desiredChanges, settingRows } from './config-panel-model.js';

describe('settingRows', () => {
  it('tells applied, pending, refused and pending-restart settings apart', () => {
    const rows = settingRows(
      { intervalMs: 500, batchSeconds: 10, coffee: { countdownSeconds: 99 }, logLevel: 'debug' },
      {
        intervalMs: 500,
        batchSeconds: 5,
        coffee: { countdownSeconds: 3 },
        logLevel: 'info',
        healthIntervalSeconds: 60,
        refused: { 'coffee.countdownSeconds': 'must be at most 30' },
        pendingRestart: { logLevel: 'debug' },
      },
    );

    expect(rows.map((row) => [row.spec.path, row.state, row.detail])).toEqual([
      ['intervalMs', 'applied', ''],
      ['batchSeconds', 'pending', ''],
      ['coffee.countdownSeconds', 'refused', 'must be at most 30'],
      ['logLevel', 'restart', '"debug" at the next start'],
      ['healthIntervalSeconds', 'reported', ''],
    ]);
    expect(rows[2]?.reported).toBe(3);
  });
});

describe('desiredChanges', () => {
  it('keeps only filled-in fields that differ from desired, numbers as numbers', () => {
    expect(
      desiredChanges(
        { intervalMs: ' 250 ', batchSeconds: '10', logLevel: 'warn', 'coffee.countdownSeconds': '' },
        { batchSeconds: 10 },
      ),
    ).toEqual({ intervalMs: 250, logLevel: 'warn' });
  });

  it('names the field that is not a whole number', () => {
    expect(() => desiredChanges({ batchSeconds: '1.5' }, {})).toThrow(
      'publish batch (s): "1.5" is not a whole number',
    );
  });
});
