// Coffee stats: cup counts, cups by UTC hour of day as 24 bars, and the attribute rates.
import type { DashboardStats } from './api.js';
import { barHeights } from './chart-geometry.js';
import { type RateText, rateRows } from './coffee-text.js';
import { el, svg } from './dom.js';

const BAR_AREA = { width: 240, height: 60, labelHeight: 12 };

export function renderStats(container: HTMLElement, stats: DashboardStats): void {
  const { overall } = stats;
  container.replaceChildren(
    el('div', { class: 'big-numbers' }, [
      bigNumber('cups', String(overall.cups), 'coffee-count'),
      bigNumber('analysed', String(overall.analyzed), 'analyzed-count'),
    ]),
    el('figure', { class: 'hours' }, [
      hourBars(stats.cupsByHourOfDay),
      el('figcaption', { class: 'small muted', text: 'cups by hour of day (UTC)' }),
    ]),
    el(
      'ul',
      { class: 'rates', attrs: { 'data-testid': 'attribute-rates' } },
      rateRows(overall).map(rateItem),
    ),
  );
}

function bigNumber(label: string, value: string, testId: string): HTMLElement {
  return el('div', { class: 'big-number' }, [
    el('span', { class: 'value', text: value, attrs: { 'data-testid': testId } }),
    el('span', { class: 'label muted', text: label }),
  ]);
}

function hourBars(cupsByHour: readonly number[]): SVGSVGElement {
  const { width, height, labelHeight } = BAR_AREA;
  // Always 24 slots, even if the server sent fewer, so the hour labels stay in place.
  const counts = Array.from({ length: 24 }, (_, h) => cupsByHour[h] ?? 0);
  const heights = barHeights(counts, height);
  const slot = width / 24;
  return svg(
    'svg',
    {
      class: 'hour-bars',
      viewBox: `0 0 ${width} ${height + labelHeight}`,
      role: 'img',
      'aria-label': 'Cups by hour of day, UTC',
    },
    [
      svg('line', { class: 'baseline', x1: 0, y1: height, x2: width, y2: height }),
      ...counts.map((count, hour) => {
        const h = heights[hour] ?? 0;
        return svg('rect', { class: 'bar', x: hour * slot + 1, y: height - h, width: slot - 2, height: h }, [
          svg('title', {}, [
            `${pad2(hour)}:00–${pad2(hour)}:59 UTC: ${count} ${count === 1 ? 'cup' : 'cups'}`,
          ]),
        ]);
      }),
      ...counts.flatMap((_, hour) =>
        hour % 3 === 0
          ? [
              svg('text', { class: 'hour-label', x: hour * slot + slot / 2, y: height + labelHeight - 2 }, [
                pad2(hour),
              ]),
            ]
          : [],
      ),
    ],
  );
}

function rateItem(rate: RateText): HTMLElement {
  const known = rate.rate !== null;
  return el('li', { class: known ? 'rate' : 'rate is-unknown', attrs: { 'data-attribute': rate.label } }, [
    el('span', { class: 'rate-label', text: rate.label }),
    el('span', { class: 'rate-percent', text: rate.percent }),
    svg(
      'svg',
      { class: 'rate-bar', viewBox: '0 0 100 6', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
      [
        svg('rect', { class: 'track', width: 100, height: 6, rx: 3 }),
        known
          ? svg('rect', { class: 'fill', width: Math.round((rate.rate ?? 0) * 100), height: 6, rx: 3 })
          : null,
      ],
    ),
    el('span', { class: 'rate-detail small muted', text: rate.detail }),
  ]);
}

const pad2 = (n: number) => String(n).padStart(2, '0');
