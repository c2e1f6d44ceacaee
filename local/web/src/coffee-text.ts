// How a coffee's analysis and the attribute rates read. The rule that matters: an attribute the
// analyzer could not tell (null) reads "unknown", never "no" — the local analyzer has no glasses,
// beard or mustache model, and its silence must not look like a finding.
import type { AttributeStats, FaceAttributes, GroupStats, LatestCoffee } from './api.js';
import { formatConfidence, formatPercent } from './format.js';

export const UNKNOWN = 'unknown';

/** "yes", "no (88 %)" or "unknown". */
export function formatYesNo(value: boolean | null, confidence: number | null = null): string {
  if (value === null) return UNKNOWN;
  const word = value ? 'yes' : 'no';
  return confidence === null ? word : `${word} (${formatConfidence(confidence)})`;
}

/** "25–35", "≥ 25", "≤ 35" or "unknown". */
export function formatAgeRange(low: number | null, high: number | null): string {
  if (low !== null && high !== null) return low === high ? String(low) : `${low}–${high}`;
  if (low !== null) return `≥ ${low}`;
  if (high !== null) return `≤ ${high}`;
  return UNKNOWN;
}

/** Rekognition says "HAPPY", the local analyzer too; lower case reads better in a list. */
export function formatEmotion(emotion: string | null, confidence: number | null): string {
  if (emotion === null) return UNKNOWN;
  const word = emotion.toLowerCase();
  return confidence === null ? word : `${word} (${formatConfidence(confidence)})`;
}

export interface LabelledText {
  label: string;
  text: string;
}

/** Every attribute of a coffee in display order, each with its text. */
export function attributeRows(a: FaceAttributes): LabelledText[] {
  return [
    { label: 'person', text: formatYesNo(a.personPresent) },
    { label: 'faces', text: a.faceCount === null ? UNKNOWN : String(a.faceCount) },
    { label: 'smile', text: formatYesNo(a.smile, a.smileConfidence) },
    { label: 'eyeglasses', text: formatYesNo(a.eyeglasses, a.eyeglassesConfidence) },
    { label: 'sunglasses', text: formatYesNo(a.sunglasses, a.sunglassesConfidence) },
    { label: 'beard', text: formatYesNo(a.beard, a.beardConfidence) },
    { label: 'mustache', text: formatYesNo(a.mustache, a.mustacheConfidence) },
    { label: 'eyes open', text: formatYesNo(a.eyesOpen, a.eyesOpenConfidence) },
    { label: 'age range', text: formatAgeRange(a.ageLow, a.ageHigh) },
    { label: 'emotion', text: formatEmotion(a.emotion, a.emotionConfidence) },
  ];
}

/** "analyzed", "unanalyzable: no face model" or "missing". */
export function formatStatus(coffee: Pick<LatestCoffee, 'status' | 'reason'>): string {
  if (coffee.status === 'unanalyzable') {
    return coffee.reason ? `unanalyzable: ${coffee.reason}` : 'unanalyzable';
  }
  return coffee.status;
}

export interface RateText {
  label: string;
  /** "42 %" or "unknown". */
  percent: string;
  /** "5 of 12 known" or "none known". */
  detail: string;
  /** 0..1 for a bar; null when unknown, so no bar is drawn at all. */
  rate: number | null;
}

function rateText(label: string, stats: AttributeStats): RateText {
  return {
    label,
    percent: formatPercent(stats.rate),
    detail: stats.known === 0 ? 'none known' : `${stats.yes} of ${stats.known} known`,
    rate: stats.rate,
  };
}

/** The six attribute rates the stats card shows, in display order. */
export function rateRows(group: GroupStats): RateText[] {
  return [
    rateText('person', group.withPerson),
    rateText('smile', group.smile),
    rateText('eyeglasses', group.eyeglasses),
    rateText('sunglasses', group.sunglasses),
    rateText('beard', group.beard),
    rateText('mustache', group.mustache),
  ];
}
