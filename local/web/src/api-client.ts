// The page's requests to its own server (same origin, so the CSP's connect-src 'self' allows them).
import type { DashboardSnapshot } from './api.js';
import { describeHttpError } from './http-error.js';

export class DashboardRequestError extends Error {
  override readonly name = 'DashboardRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function fetchSnapshot(signal?: AbortSignal): Promise<DashboardSnapshot> {
  const response = await fetch('/api/snapshot', { headers: { accept: 'application/json' }, signal });
  await throwUnlessOk(response);
  return (await response.json()) as DashboardSnapshot;
}

/** Brews a coffee on a simulated device; the server answers 202 and the coffee arrives as an event. */
export async function pressBrew(deviceId: string): Promise<void> {
  const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}/press`, { method: 'POST' });
  await throwUnlessOk(response);
}

async function throwUnlessOk(response: Response): Promise<void> {
  if (response.ok) return;
  const body = await response.text().catch(() => '');
  throw new DashboardRequestError(
    describeHttpError(response.status, response.statusText, body),
    response.status,
  );
}
