import type { ExportWindow, IngestDay } from './export-window.js';
import { parseExportDay } from './export-window.js';

/**
 * The Athena export's SQL is fixed when the state machine is deployed but its day is not: the
 * state machine fills the day in at run time. Every day-dependent literal in the SQL is written as
 * a token — `{{day+0}}` for the day, `{{day+1}}` for the next, `{{day-1.month}}` for the month of
 * the day before — and the state machine replaces each token with the value JSONata computes
 * from the day (dayTokenJsonata). renderDayTokens does the same in TypeScript, so a test can hold
 * the two renderings of the SQL together.
 */
export type DayPart = 'date' | 'year' | 'month' | 'day';

export interface DayToken {
  readonly token: string;
  readonly offsetDays: number;
  readonly part: DayPart;
}

const DAY_MS = 86_400_000;

/** XPath picture strings for JSONata's $fromMillis, and the slice of yyyy-mm-dd they match. */
const PARTS: Record<DayPart, { picture: string; slice: [number, number] }> = {
  date: { picture: '[Y0001]-[M01]-[D01]', slice: [0, 10] },
  year: { picture: '[Y0001]', slice: [0, 4] },
  month: { picture: '[M01]', slice: [5, 7] },
  day: { picture: '[D01]', slice: [8, 10] },
};

function dayToken(offsetDays: number, part: DayPart): DayToken {
  const sign = offsetDays < 0 ? '-' : '+';
  const suffix = part === 'date' ? '' : `.${part}`;
  return { token: `{{day${sign}${Math.abs(offsetDays)}${suffix}}}`, offsetDays, part };
}

/** An export window made of tokens, and every token in it. */
export function tokenWindow(marginDays: number): { window: ExportWindow; tokens: readonly DayToken[] } {
  const tokens = new Map<string, DayToken>();
  const use = (offset: number, part: DayPart) => {
    const token = dayToken(offset, part);
    tokens.set(token.token, token);
    return token.token;
  };
  const ingestDays: IngestDay[] = [];
  for (let offset = -marginDays; offset <= marginDays; offset++) {
    ingestDays.push({ year: use(offset, 'year'), month: use(offset, 'month'), day: use(offset, 'day') });
  }
  const window: ExportWindow = {
    day: use(0, 'date'),
    start: `${use(0, 'date')} 00:00:00.000`,
    end: `${use(1, 'date')} 00:00:00.000`,
    ingestDays,
  };
  return { window, tokens: [...tokens.values()] };
}

/** The tokens' values for `day`, computed in TypeScript. */
export function renderDayTokens(text: string, day: string, tokens: readonly DayToken[]): string {
  const midnight = parseExportDay(day).getTime();
  let rendered = text;
  for (const { token, offsetDays, part } of tokens) {
    const date = new Date(midnight + offsetDays * DAY_MS).toISOString();
    rendered = rendered.replaceAll(token, date.slice(...PARTS[part].slice));
  }
  return rendered;
}

/**
 * A JSONata expression replacing every token in the string `$sql`, given `$dayMs` (the day's UTC
 * midnight in epoch milliseconds). $replace with a string pattern replaces every occurrence;
 * $fromMillis formats in UTC.
 */
export function dayTokenJsonata(tokens: readonly DayToken[]): string {
  let expression = '$sql';
  for (const { token, offsetDays, part } of tokens) {
    const millis = offsetDays === 0 ? '$dayMs' : `$dayMs + ${offsetDays * DAY_MS}`;
    expression = `$replace(${expression}, '${token}', $fromMillis(${millis}, '${PARTS[part].picture}'))`;
  }
  return expression;
}
