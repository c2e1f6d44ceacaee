// The page's entry point. The same files run against the local stack and in AWS: only the AWS
// deploy writes a /config.json (infra/src/constructs/dashboard.ts), so its absence means local mode.
import { loadAwsConfig } from './aws-config.js';
import { awsMode } from './aws-mode.js';
import type { DashboardMode } from './dashboard-page.js';
import { byId } from './dom.js';
import { localMode } from './local-mode.js';
import { showNotice } from './view-header.js';

async function chooseMode(): Promise<DashboardMode | null> {
  const config = await loadAwsConfig((url, init) => fetch(url, init), window.location.origin);
  return config === null ? localMode() : awsMode(config);
}

function run(mode: DashboardMode): void {
  mode.start();
  window.addEventListener('pagehide', () => mode.stop());
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) mode.start();
  });
}

chooseMode().then(
  (mode) => {
    if (mode !== null) run(mode);
  },
  (error: unknown) => {
    // A bad /config.json (every bad field named) or an unreachable one: say so, never fall back.
    console.error(error);
    showNotice(byId('notice', HTMLElement), error instanceof Error ? error.message : String(error));
  },
);
