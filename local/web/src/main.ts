// The page's entry point: wires the live connection to the state and the state to the views.
import { fetchSnapshot, pressBrew } from './api-client.js';
import { byId } from './dom.js';
import { LiveConnection } from './live-connection.js';
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
import { CoffeeList } from './view-coffees.js';
import { DevicesTable } from './view-devices.js';
import { showConnectionState, showNotice, showServerTime } from './view-header.js';
import { renderStats } from './view-stats.js';
import { TelemetryView } from './view-telemetry.js';

/** Charts and "last seen" change with time alone; once a second is as fine as the data. */
const TICK_MS = 1000;
const RETRY_MS = 3000;
const ALL_SECTIONS: DashboardSection[] = ['header', 'devices', 'telemetry', 'stats', 'coffees'];

const connectionState = byId('connection-state', HTMLElement);
const serverTime = byId('server-time', HTMLTimeElement);
const notice = byId('notice', HTMLElement);
const devicesTable = new DevicesTable(byId('devices-body', HTMLTableSectionElement), pressBrew);
const telemetryView = new TelemetryView(
  byId('telemetry-page', HTMLSelectElement),
  byId('telemetry-cards', HTMLElement),
);
const statsContainer = byId('stats', HTMLElement);
const coffeeList = new CoffeeList(byId('coffee-list', HTMLElement));

let state: DashboardState | null = null;

function draw(sections: ReadonlySet<DashboardSection>): void {
  if (state === null) return;
  const now = serverNow(state, Date.now());
  if (sections.has('header')) showServerTime(serverTime, now);
  if (sections.has('devices')) {
    const devices = knownDeviceIds(state).flatMap((id) => state?.devices.get(id) ?? []);
    devicesTable.render(devices, now);
  }
  if (sections.has('telemetry')) {
    telemetryView.render({
      deviceIds: knownDeviceIds(state),
      devices: state.devices,
      telemetry: state.telemetry,
      serverNowMs: now,
      windowMs: state.telemetryWindowMs,
    });
  }
  if (sections.has('stats')) renderStats(statsContainer, state.stats);
  if (sections.has('coffees')) coffeeList.render(state.coffees);
}

const scheduler = new RedrawScheduler(draw, TICK_MS, {
  now: () => performance.now(),
  requestFrame: (callback) => requestAnimationFrame(callback),
  cancelFrame: (handle) => cancelAnimationFrame(handle),
  setTimer: (callback, ms) => window.setTimeout(callback, ms),
  clearTimer: (handle) => window.clearTimeout(handle),
});

const connection = new LiveConnection(
  {
    eventsUrl: '/api/events',
    createEventSource: (url) => new EventSource(url),
    fetchSnapshot: () => fetchSnapshot(),
    setTimer: (callback, ms) => window.setTimeout(callback, ms),
    clearTimer: (handle) => window.clearTimeout(handle),
    retryMs: RETRY_MS,
  },
  {
    onConnectionState: (connection) => showConnectionState(connectionState, connection),
    onSnapshot: (snapshot) => {
      state = stateFromSnapshot(snapshot, Date.now());
      showNotice(notice, null);
      scheduler.invalidate(ALL_SECTIONS);
    },
    onEvent: (event) => {
      if (state === null) return;
      scheduler.invalidate(applyEvent(state, event, serverNow(state, Date.now())));
    },
    onProblem: (message, cause) => {
      console.warn(message, cause);
      showNotice(notice, message);
    },
  },
);

let ticker: number | null = null;

function start(): void {
  connection.start();
  ticker = window.setInterval(() => {
    if (state === null) return;
    trimTelemetry(state, serverNow(state, Date.now()));
    scheduler.invalidate(['header', 'devices', 'telemetry']);
  }, TICK_MS);
}

function stop(): void {
  connection.stop();
  scheduler.stop();
  if (ticker !== null) window.clearInterval(ticker);
  ticker = null;
}

start();
// Close the stream when the page goes away, so the server frees the subscription at once; a page
// restored from the back/forward cache opens a new one (and so loads a fresh snapshot).
window.addEventListener('pagehide', stop);
window.addEventListener('pageshow', (event) => {
  if (event.persisted) start();
});
