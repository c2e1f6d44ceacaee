import { describe, expect, it } from 'vitest';
import type { FaceAttributes, GroupStats } from './api.js';
import {
  attributeRows,
  formatAgeRange,
  formatEmotion,
  formatStatus,
  formatYesNo,
  rateRows,
  UNKNOWN,
} from './coffee-text.js';

const allUnknown: FaceAttributes = {
  personPresent: null,
  faceCount: null,
  smile: null,
  smileConfidence: null,
  eyeglasses: null,
  eyeglassesConfidence: null,
  sunglasses: null,
  sunglassesConfidence: null,
  beard: null,
  beardConfidence: null,
  mustache: null,
  mustacheConfidence: null,
  eyesOpen: null,
  eyesOpenConfidence: null,
  ageLow: null,
  ageHigh: null,
  emotion: null,
  emotionConfidence: null,
};

/** What the local analyzer reports: a face, a smile and an age, but no glasses/beard/mustache model. */
const locallyAnalysed: FaceAttributes = {
  ...allUnknown,
  personPresent: true,
  faceCount: 1,
  smile: false,
  smileConfidence: 71.26,
  ageLow: 28,
  ageHigh: 38,
  emotion: 'NEUTRAL',
  emotionConfidence: 71.26,
};

const textOf = (a: FaceAttributes) => Object.fromEntries(attributeRows(a).map((r) => [r.label, r.text]));

describe('formatYesNo', () => {
  it('reads "unknown" for null, never "no"', () => {
    expect(formatYesNo(null)).toBe('unknown');
    expect(formatYesNo(null, 90)).toBe('unknown');
  });

  it('reads yes/no with the confidence when there is one', () => {
    expect(formatYesNo(true)).toBe('yes');
    expect(formatYesNo(false, 88.4)).toBe('no (88 %)');
  });
});

describe('attributeRows', () => {
  it('lists every attribute in display order', () => {
    expect(attributeRows(allUnknown).map((r) => r.label)).toEqual([
      'person',
      'faces',
      'smile',
      'eyeglasses',
      'sunglasses',
      'beard',
      'mustache',
      'eyes open',
      'age range',
      'emotion',
    ]);
  });

  it('reads "unknown" for every attribute of an unanalysed photo', () => {
    expect(attributeRows(allUnknown).every((r) => r.text === UNKNOWN)).toBe(true);
  });

  it('reads glasses, beard and mustache of a locally analysed photo as unknown, not no', () => {
    const text = textOf(locallyAnalysed);
    expect(text.eyeglasses).toBe('unknown');
    expect(text.sunglasses).toBe('unknown');
    expect(text.beard).toBe('unknown');
    expect(text.mustache).toBe('unknown');
    expect(text['eyes open']).toBe('unknown');
  });

  it('shows what the analyzer did tell', () => {
    const text = textOf(locallyAnalysed);
    expect(text.person).toBe('yes');
    expect(text.faces).toBe('1');
    expect(text.smile).toBe('no (71 %)');
    expect(text['age range']).toBe('28–38');
    expect(text.emotion).toBe('neutral (71 %)');
  });

  it('shows zero faces as 0', () => {
    expect(textOf({ ...allUnknown, personPresent: false, faceCount: 0 }).faces).toBe('0');
  });
});

describe('formatAgeRange', () => {
  it('handles open-ended and single-value ranges', () => {
    expect(formatAgeRange(25, null)).toBe('≥ 25');
    expect(formatAgeRange(null, 35)).toBe('≤ 35');
    expect(formatAgeRange(30, 30)).toBe('30');
    expect(formatAgeRange(null, null)).toBe('unknown');
  });
});

describe('formatEmotion', () => {
  it('reads unknown without an emotion, even with a confidence', () => {
    expect(formatEmotion(null, 50)).toBe('unknown');
    expect(formatEmotion('HAPPY', null)).toBe('happy');
  });
});

describe('formatStatus', () => {
  it('gives the reason of an unanalyzable photo', () => {
    expect(formatStatus({ status: 'unanalyzable', reason: 'image too dark' })).toBe(
      'unanalyzable: image too dark',
    );
    expect(formatStatus({ status: 'unanalyzable', reason: null })).toBe('unanalyzable');
    expect(formatStatus({ status: 'analyzed', reason: null })).toBe('analyzed');
    expect(formatStatus({ status: 'missing', reason: 'no object' })).toBe('missing');
  });
});

describe('rateRows', () => {
  const none = { known: 0, yes: 0, rate: null };
  const group: GroupStats = {
    cups: 12,
    analyzed: 10,
    withPerson: { known: 10, yes: 8, rate: 0.8 },
    smile: { known: 8, yes: 3, rate: 0.375 },
    eyeglasses: none,
    sunglasses: none,
    beard: { known: 4, yes: 0, rate: 0 },
    mustache: none,
  };

  it('reads an attribute nobody could tell as unknown, not 0 %', () => {
    const eyeglasses = rateRows(group).find((r) => r.label === 'eyeglasses');
    expect(eyeglasses).toEqual({ label: 'eyeglasses', percent: 'unknown', detail: 'none known', rate: null });
  });

  it('keeps a real zero as 0 % with its known count', () => {
    const beard = rateRows(group).find((r) => r.label === 'beard');
    expect(beard?.percent).toBe('0 %');
    expect(beard?.detail).toBe('0 of 4 known');
  });

  it('shows the percentage and "n of known"', () => {
    const [person, smile] = rateRows(group);
    expect(person).toMatchObject({ label: 'person', percent: '80 %', detail: '8 of 10 known' });
    expect(smile).toMatchObject({ label: 'smile', percent: '38 %', detail: '3 of 8 known' });
  });
});
