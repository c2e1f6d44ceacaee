import { describe, expect, it } from 'vitest';
import { barHeights, polylinePoints, scale, valueDomain } from './chart-geometry.js';

describe('valueDomain', () => {
  it('pads the range by a tenth of the span on each side', () => {
    expect(valueDomain([10, 20], 1)).toEqual({ min: 9, max: 21 });
  });

  it('widens a flat line to the minimum span around its value', () => {
    const domain = valueDomain([21, 21, 21], 1);
    expect(domain?.min).toBeCloseTo(20.4);
    expect(domain?.max).toBeCloseTo(21.6);
  });

  it('is null without finite values', () => {
    expect(valueDomain([], 1)).toBeNull();
    expect(valueDomain([Number.NaN], 1)).toBeNull();
  });
});

describe('scale', () => {
  it('maps the domain onto the length and clamps outside values', () => {
    const domain = { min: 0, max: 10 };
    expect(scale(5, domain, 100)).toBe(50);
    expect(scale(-5, domain, 100)).toBe(0);
    expect(scale(15, domain, 100)).toBe(100);
  });
});

describe('polylinePoints', () => {
  it('puts time on x and larger values higher up', () => {
    const samples = [
      { t: 0, v: 0 },
      { t: 50, v: 10 },
      { t: 100, v: 5 },
    ];
    const points = polylinePoints(
      samples,
      { min: 0, max: 100 },
      { min: 0, max: 10 },
      { width: 200, height: 40 },
    );
    expect(points).toBe('0,40 100,0 200,20');
  });

  it('leaves out samples that are not numbers', () => {
    const samples = [
      { t: 0, v: Number.NaN },
      { t: 100, v: 5 },
    ];
    expect(
      polylinePoints(samples, { min: 0, max: 100 }, { min: 0, max: 10 }, { width: 10, height: 10 }),
    ).toBe('10,5');
  });
});

describe('barHeights', () => {
  it('scales the largest count to the full height', () => {
    expect(barHeights([0, 2, 4], 60)).toEqual([0, 30, 60]);
  });

  it('draws no bars when there are no cups', () => {
    expect(barHeights([0, 0], 60)).toEqual([0, 0]);
  });
});
