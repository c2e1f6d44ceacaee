// The page against the local stack (npm start): same-origin API, the live event stream, Brew
// buttons that press the simulated devices, photos served by the page's own server.
import { fetchSnapshot, pressBrew } from './api-client.js';
import { controlClient } from './control-client.js';
import { type DashboardMode, DashboardPage, headerElements } from './dashboard-page.js';
import { LiveConnection } from './live-connection.js';
import { ControlPanel } from './view-control.js';
import { showConnectionState, showNotice } from './view-header.js';

const RETRY_MS = 3000;

export function localMode(): DashboardMode {
  const { connectionState, notice } = headerElements();
  const page = new DashboardPage({
    brew: pressBrew,
    showPhoto: (img, photoUrl) => {
      img.src = photoUrl;
    },
    emptyCoffeesText: 'No coffees yet. Press Brew on a device.',
  });
  // Config shadows and jobs exist only in the local stack; AWS mode never shows this panel.
  const control = new ControlPanel(controlClient);
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
      onConnectionState: (state) => showConnectionState(connectionState, state),
      onSnapshot: (snapshot) => {
        page.showSnapshot(snapshot);
        control.setDevices(snapshot.devices.map((device) => device.deviceId));
        showNotice(notice, null);
      },
      onEvent: (event) => page.applyEvent(event),
      onProblem: (message, cause) => {
        console.warn(message, cause);
        showNotice(notice, message);
      },
    },
  );
  return {
    // Closing the stream on stop lets the server free the subscription at once; a page restored
    // from the back/forward cache opens a new one (and so loads a fresh snapshot).
    start: () => {
      connection.start();
      page.start();
      control.start();
    },
    stop: () => {
      connection.stop();
      page.stop();
      control.stop();
    },
  };
}
