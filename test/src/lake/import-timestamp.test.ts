import { describe, expect, it } from 'vitest';
import { parseCsvTimestamp } from '../../../cloud/src/lake/import/index.js';

/** The regex path's answer: the same text with a space for the 'T' parses the same way. */
function viaGeneralForm(text: string) {
  const result = parseCsvTimestamp(`${text.slice(0, 10)} ${text.slice(11)}`);
  return result.ok ? { ok: true, ms: result.ms, iso: new Date(result.ms).toISOString() } : result;
}

describe('parseCsvTimestamp', () => {
  it('reads the contract form (YYYY-MM-DDTHH:MM:SS.mmmZ) exactly as any other ISO-8601 form', () => {
    const texts = [
      '2026-03-14T08:15:30.250Z',
      '2012-01-01T00:00:00.000Z',
      '2024-02-29T23:59:59.999Z', // a leap day
      '2000-02-29T12:00:00.000Z', // 2000 is a leap year
      '1900-02-29T12:00:00.000Z', // 1900 is not
      '2026-02-29T12:00:00.000Z',
      '2026-04-31T12:00:00.000Z',
      '2026-13-01T12:00:00.000Z',
      '2026-00-10T12:00:00.000Z',
      '2026-01-00T12:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T23:60:00.000Z',
      '2026-01-01T23:59:60.000Z',
      '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ];
    for (const text of texts) {
      const result = parseCsvTimestamp(text);
      expect({ text, result }).toEqual({ text, result: viaGeneralForm(text) });
      if (result.ok) expect(result.iso).toBe(text);
    }
  });

  it('leaves look-alikes of the contract form to the general rules', () => {
    expect(parseCsvTimestamp('2026-03-14T08:15:30.25Z')).toEqual({
      ok: true,
      ms: Date.parse('2026-03-14T08:15:30.250Z'),
      iso: '2026-03-14T08:15:30.250Z',
    });
    expect(parseCsvTimestamp('2026-03-14t08:15:30.250z')).toMatchObject({ iso: '2026-03-14T08:15:30.250Z' });
    expect(parseCsvTimestamp('2026-03-14T08:15:30,250Z')).toMatchObject({ iso: '2026-03-14T08:15:30.250Z' });
    expect(parseCsvTimestamp('2026-03-14T08:15:3a.250Z')).toMatchObject({ ok: false });
    expect(parseCsvTimestamp('2026-03-14T08:15:30.2500')).toMatchObject({ ok: false });
    expect(parseCsvTimestamp('+026-03-14T08:15:30.250Z')).toMatchObject({ ok: false });
  });
});
