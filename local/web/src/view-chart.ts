// A small hand-drawn line chart: one SVG with a polyline per series, its title and current value
// above, its range below. Geometry comes from chart-geometry.ts.
import { type Domain, polylinePoints, valueDomain } from './chart-geometry.js';
import { el, svg } from './dom.js';

export interface ChartLine {
  /** Legend text, and the CSS class suffix that colours it (line-pitch, …). */
  name: string;
  samples: { t: number; v: number }[];
}

export interface LineChartSpec {
  title: string;
  /** The current value, printed large. */
  current: string;
  /** Unit for the range line, e.g. "°C". */
  unit: string;
  lines: ChartLine[];
  /** The time window on the x axis. */
  time: Domain;
  /** Smallest y span drawn, in the unit (see valueDomain). */
  minSpan: number;
  /** Decimals for the range line. */
  decimals: number;
}

/** The viewBox; the SVG stretches to its box (strokes stay thin via non-scaling-stroke). */
const SIZE = { width: 300, height: 80 };

export function lineChart(spec: LineChartSpec): HTMLElement {
  const all = spec.lines.flatMap((l) => l.samples.map((s) => s.v));
  const domain = valueDomain(all, spec.minSpan);
  const plot = svg(
    'svg',
    {
      class: 'chart-plot',
      viewBox: `0 0 ${SIZE.width} ${SIZE.height}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `${spec.title}, last hour`,
    },
    [
      svg('line', { class: 'chart-grid', x1: 0, y1: SIZE.height / 2, x2: SIZE.width, y2: SIZE.height / 2 }),
      ...(domain === null
        ? []
        : spec.lines.map((line) =>
            svg('polyline', {
              class: `chart-line line-${line.name}`,
              points: polylinePoints(line.samples, spec.time, domain, SIZE),
              'vector-effect': 'non-scaling-stroke',
            }),
          )),
    ],
  );
  const min = Math.min(...all);
  const max = Math.max(...all);
  const range =
    all.length === 0
      ? 'no readings in the last hour'
      : `${min.toFixed(spec.decimals)} – ${max.toFixed(spec.decimals)} ${spec.unit}`;
  return el('figure', { class: 'chart' }, [
    el('figcaption', {}, [
      el('span', { class: 'chart-title', text: spec.title }),
      el('span', { class: 'chart-value', text: spec.current }),
    ]),
    plot,
    el('div', { class: 'chart-foot small muted' }, [
      el('span', { text: range }),
      spec.lines.length > 1 ? legend(spec.lines) : null,
    ]),
  ]);
}

function legend(lines: readonly ChartLine[]): HTMLElement {
  return el(
    'span',
    { class: 'legend' },
    lines.map((l) => el('span', { class: `legend-item line-${l.name}`, text: l.name })),
  );
}
