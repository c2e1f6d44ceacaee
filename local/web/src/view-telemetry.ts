// Live telemetry: a card per device with its four charts, a page of six cards at a time.
import type { DeviceStatus, TelemetryPoint } from './api.js';
import type { Domain } from './chart-geometry.js';
import { devicePages } from './device-pages.js';
import { el } from './dom.js';
import { formatReading } from './format.js';
import { lineChart } from './view-chart.js';

export interface TelemetryViewModel {
  deviceIds: readonly string[];
  devices: ReadonlyMap<string, DeviceStatus>;
  telemetry: ReadonlyMap<string, readonly TelemetryPoint[]>;
  serverNowMs: number;
  windowMs: number;
}

export class TelemetryView {
  private page = 0;
  private last: TelemetryViewModel | null = null;

  constructor(
    private readonly select: HTMLSelectElement,
    private readonly grid: HTMLElement,
  ) {
    select.addEventListener('change', () => {
      this.page = Number(select.value) || 0;
      if (this.last) this.render(this.last);
    });
  }

  render(model: TelemetryViewModel): void {
    this.last = model;
    const pages = devicePages(model.deviceIds);
    this.page = Math.min(this.page, Math.max(0, pages.length - 1));
    this.renderSelect(pages.map((p) => p.label));
    const ids = pages[this.page]?.deviceIds ?? [];
    if (ids.length === 0) {
      this.grid.replaceChildren(el('p', { class: 'muted', text: 'No telemetry yet.' }));
      return;
    }
    const time = { min: model.serverNowMs - model.windowMs, max: model.serverNowMs };
    this.grid.replaceChildren(
      ...ids.map((id) => deviceCard(id, model.devices.get(id), model.telemetry.get(id) ?? [], time)),
    );
  }

  /** Rebuilds the options only when the pages changed, so an open select is not disturbed. */
  private renderSelect(labels: string[]): void {
    const wrapper = this.select.closest('label') ?? this.select;
    wrapper.hidden = labels.length <= 1;
    const current = [...this.select.options].map((o) => o.text);
    if (current.join('\n') !== labels.join('\n')) {
      this.select.replaceChildren(
        ...labels.map((label, i) => el('option', { text: label, attrs: { value: String(i) } })),
      );
    }
    this.select.value = String(this.page);
  }
}

/** One-line charts: the field, its unit, and the smallest y span drawn (so noise stays flat). */
const SINGLE_CHARTS = [
  { field: 'temperature', unit: '°C', minSpan: 1 },
  { field: 'humidity', unit: '%', minSpan: 2 },
  { field: 'pressure', unit: 'hPa', minSpan: 1 },
] as const;

function deviceCard(
  deviceId: string,
  status: DeviceStatus | undefined,
  points: readonly TelemetryPoint[],
  time: Domain,
): HTMLElement {
  const latest = points.at(-1);
  const samples = (key: keyof Omit<TelemetryPoint, 't'>) => points.map((p) => ({ t: p.t, v: p[key] }));
  const online = status?.online ?? false;
  return el('article', { class: 'card device-card', attrs: { 'data-device-id': deviceId } }, [
    el('header', { class: 'card-head' }, [
      el('h3', { text: deviceId }),
      el('span', {
        class: `dot ${online ? 'online' : 'offline'}`,
        attrs: { title: online ? 'online' : 'offline' },
      }),
    ]),
    el('div', { class: 'charts' }, [
      ...SINGLE_CHARTS.map(({ field, unit, minSpan }) =>
        lineChart({
          title: field,
          current: formatReading(latest?.[field], 1, unit),
          unit,
          lines: [{ name: 'value', samples: samples(field) }],
          time,
          minSpan,
          decimals: 1,
        }),
      ),
      lineChart({
        title: 'orientation',
        current: latest
          ? `${latest.pitch.toFixed(0)}° / ${latest.roll.toFixed(0)}° / ${latest.yaw.toFixed(0)}°`
          : '—',
        unit: '°',
        lines: [
          { name: 'pitch', samples: samples('pitch') },
          { name: 'roll', samples: samples('roll') },
          { name: 'yaw', samples: samples('yaw') },
        ],
        time,
        minSpan: 10,
        decimals: 0,
      }),
    ]),
  ]);
}
