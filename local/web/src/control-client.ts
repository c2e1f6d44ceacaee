// The page's requests to the local stack's device-control API (same origin, JSON bodies).
import { throwUnlessOk } from './api-client.js';
import type { DeviceConfig, JobSummary } from './control-api.js';

export interface ControlClient {
  getConfig(deviceId: string): Promise<DeviceConfig>;
  setDesired(deviceId: string, desired: Record<string, unknown>): Promise<DeviceConfig>;
  listJobs(): Promise<JobSummary[]>;
  /** Creates a job; resolves to its id. */
  createJob(operation: string, targets: string[]): Promise<string>;
}

const JSON_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };

export const controlClient: ControlClient = {
  async getConfig(deviceId) {
    const response = await fetch(configUrl(deviceId), { headers: { accept: 'application/json' } });
    await throwUnlessOk(response);
    return (await response.json()) as DeviceConfig;
  },
  async setDesired(deviceId, desired) {
    const response = await fetch(configUrl(deviceId), {
      method: 'PUT',
      headers: JSON_HEADERS,
      body: JSON.stringify({ desired }),
    });
    await throwUnlessOk(response);
    return (await response.json()) as DeviceConfig;
  },
  async listJobs() {
    const response = await fetch('/api/jobs', { headers: { accept: 'application/json' } });
    await throwUnlessOk(response);
    return ((await response.json()) as { jobs: JobSummary[] }).jobs;
  },
  async createJob(operation, targets) {
    const response = await fetch('/api/jobs', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ operation, targets }),
    });
    await throwUnlessOk(response);
    return ((await response.json()) as { jobId: string }).jobId;
  },
};

function configUrl(deviceId: string): string {
  return `/api/devices/${encodeURIComponent(deviceId)}/config`;
}
