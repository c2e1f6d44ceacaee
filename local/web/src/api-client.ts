// The page's requests to the dashboard API. Locally the page's own server (same origin, so the CSP's
// connect-src 'self' allows them); in AWS the HTTP API, through a fetch that adds the sign-in token.
import type { DashboardSnapshot, PhotoLink } from './api.js';
import { describeHttpError } from './http-error.js';

/** The part of `fetch` these requests use; AWS mode passes one that signs them in. */
export type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;

const plainFetch: Fetcher = (url, init) => fetch(url, init);

export class DashboardRequestError extends Error {
  override readonly name = 'DashboardRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function fetchSnapshot(
  fetcher: Fetcher = plainFetch,
  url = '/api/snapshot',
): Promise<DashboardSnapshot> {
  const response = await fetcher(url, { headers: { accept: 'application/json' } });
  await throwUnlessOk(response);
  return (await response.json()) as DashboardSnapshot;
}

/** Brews a coffee on a simulated device; the server answers 202 and the coffee arrives as an event. */
export async function pressBrew(deviceId: string): Promise<void> {
  const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}/press`, { method: 'POST' });
  await throwUnlessOk(response);
}

/** AWS only: the presigned link to a photo (GET /api/photos/{key} asking for JSON, not the redirect). */
export async function fetchPhotoLink(fetcher: Fetcher, url: string): Promise<PhotoLink> {
  const response = await fetcher(url, { headers: { accept: 'application/json' } });
  await throwUnlessOk(response);
  return (await response.json()) as PhotoLink;
}

/** Throws DashboardRequestError with the server's own words (after `context: ` when given). */
export async function throwUnlessOk(response: Response, context?: string): Promise<void> {
  if (response.ok) return;
  const body = await response.text().catch(() => '');
  const message = describeHttpError(response.status, response.statusText, body);
  throw new DashboardRequestError(
    context === undefined ? message : `${context}: ${message}`,
    response.status,
  );
}
