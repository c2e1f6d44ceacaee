// The page's sections and what they show, whichever way the data arrives: the state, the views
// and their redraws. local-mode.ts feeds it a snapshot and live events; aws-mode.ts polled snapshots.
import type { DashboardSnapshot } from './api.js';
import { byId } from './dom.js';
import type { DashboardEvent } from './events.js';
import { RedrawScheduler } from './redraw-scheduler.js';
import {
  applyEvent,
  type DashboardSection,
  type DashboardState,
  knownDeviceIds,
  serverNow,
  stateFromSnapshot,
  trimTelemetry,
} from './state.js';
import { CoffeeList, type ShowPhoto } from './view-coffees.js';
import { type BrewAction, DevicesTable } from './view-devices.js';
import { showServerTime } from './view-header.js';
import { renderStats } from './view-stats.js';
import { TelemetryView } from './view-telemetry.js';

/** Charts and "last seen" change with time alone; once a second is as fine as the data. */
const TICK_MS = 1000;
const ALL_SECTIONS: DashboardSection[] = ['header', 'devices', 'telemetry', 'stats', 'coffees'];

/** The header's parts each mode drives itself. */
export interface HeaderElements {
  connectionState: HTMLElement;
  notice: HTMLElement;
  /** "sign in" / "sign out" in AWS mode; hidden locally. */
  accountLink: HTMLAnchorElement;
}

export function headerElements(): HeaderElements {
  return {
    connectionState: byId('connection-state', HTMLElement),
    notice: byId('notice', HTMLElement),
    accountLink: byId('account-link', HTMLAnchorElement),
  };
}

export interface DashboardPageOptions {
  /** null hides the Brew buttons (AWS: the page cannot press a real device). */
  brew: BrewAction | null;
  showPhoto: ShowPhoto;
  emptyCoffeesText: string;
  /** Runs every tick, snapshot or not (AWS mode's "updated 4s ago"). */
  onTick?: () => void;
}

export class DashboardPage {
  private state: DashboardState | null = null;
  private ticker: number | null = null;
  private readonly serverTime = byId('server-time', HTMLTimeElement);
  private readonly devicesTable: DevicesTable;
  private readonly telemetryView = new TelemetryView(
    byId('telemetry-page', HTMLSelectElement),
    byId('telemetry-cards', HTMLElement),
  );
  private readonly statsContainer = byId('stats', HTMLElement);
  private readonly coffeeList: CoffeeList;
  private readonly scheduler = new RedrawScheduler<DashboardSection>(
    (sections) => this.draw(sections),
    TICK_MS,
    {
      now: () => performance.now(),
      requestFrame: (callback) => requestAnimationFrame(callback),
      cancelFrame: (handle) => cancelAnimationFrame(handle),
      setTimer: (callback, ms) => window.setTimeout(callback, ms),
      clearTimer: (handle) => window.clearTimeout(handle),
    },
  );

  constructor(private readonly options: DashboardPageOptions) {
    this.devicesTable = new DevicesTable(byId('devices-body', HTMLTableSectionElement), options.brew);
    this.coffeeList = new CoffeeList(byId('coffee-list', HTMLElement), {
      showPhoto: options.showPhoto,
      emptyText: options.emptyCoffeesText,
    });
  }

  showSnapshot(snapshot: DashboardSnapshot): void {
    this.state = stateFromSnapshot(snapshot, Date.now());
    this.scheduler.invalidate(ALL_SECTIONS);
  }

  applyEvent(event: DashboardEvent): void {
    if (this.state === null) return;
    this.scheduler.invalidate(applyEvent(this.state, event, serverNow(this.state, Date.now())));
  }

  /** The server's clock now, as far as the last snapshot tells; the browser's before one. */
  serverNow(): number {
    return this.state === null ? Date.now() : serverNow(this.state, Date.now());
  }

  start(): void {
    if (this.ticker !== null) return;
    this.ticker = window.setInterval(() => {
      this.options.onTick?.();
      if (this.state === null) return;
      trimTelemetry(this.state, serverNow(this.state, Date.now()));
      this.scheduler.invalidate(['header', 'devices', 'telemetry']);
    }, TICK_MS);
  }

  stop(): void {
    this.scheduler.stop();
    if (this.ticker !== null) window.clearInterval(this.ticker);
    this.ticker = null;
  }

  private draw(sections: ReadonlySet<DashboardSection>): void {
    const state = this.state;
    if (state === null) return;
    const now = serverNow(state, Date.now());
    if (sections.has('header')) showServerTime(this.serverTime, now);
    if (sections.has('devices')) {
      const devices = knownDeviceIds(state).flatMap((id) => state.devices.get(id) ?? []);
      this.devicesTable.render(devices, now);
    }
    if (sections.has('telemetry')) {
      this.telemetryView.render({
        deviceIds: knownDeviceIds(state),
        devices: state.devices,
        telemetry: state.telemetry,
        serverNowMs: now,
        windowMs: state.telemetryWindowMs,
      });
    }
    if (sections.has('stats')) renderStats(this.statsContainer, state.stats);
    if (sections.has('coffees')) this.coffeeList.render(state.coffees);
  }
}

/** What main.ts starts and stops with the page's life (pagehide, back/forward cache). */
export interface DashboardMode {
  start(): void;
  stop(): void;
}
