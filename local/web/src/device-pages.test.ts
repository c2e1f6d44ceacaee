import { describe, expect, it } from 'vitest';
import { devicePages } from './device-pages.js';

describe('devicePages', () => {
  it('cuts 25 devices into pages of six, labelled by their first and last id', () => {
    const ids = Array.from({ length: 25 }, (_, i) => `dev-${String(i + 1).padStart(2, '0')}`);
    const pages = devicePages(ids);
    expect(pages).toHaveLength(5);
    expect(pages[0]?.label).toBe('dev-01 – dev-06');
    expect(pages[4]).toEqual({ label: 'dev-25', deviceIds: ['dev-25'] });
  });

  it('has no pages without devices', () => {
    expect(devicePages([])).toEqual([]);
  });
});
