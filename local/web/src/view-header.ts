// The header's live parts: connection state, server time and the notice line.

import { formatClock } from './format.js';
import type { ConnectionState } from './live-connection.js';

/** The exact texts tests and people read: "live" only while the event stream is open. */
const CONNECTION_TEXT: Record<ConnectionState, string> = { live: 'live', reconnecting: 'reconnecting…' };

export function showConnectionState(element: HTMLElement, state: ConnectionState): void {
  element.textContent = CONNECTION_TEXT[state];
  element.classList.toggle('is-live', state === 'live');
  element.classList.toggle('is-reconnecting', state !== 'live');
}

/**
 * AWS mode's badge, polled rather than streamed: "updated 4s ago" while the polls succeed, "offline"
 * when the latest failed, anything else (loading, signing in) neither.
 */
export function showPollState(element: HTMLElement, text: string, healthy: boolean): void {
  if (element.textContent !== text) element.textContent = text;
  element.classList.toggle('is-live', healthy);
  element.classList.toggle('is-reconnecting', !healthy);
}

export function showServerTime(element: HTMLTimeElement, serverNowMs: number): void {
  element.dateTime = new Date(serverNowMs).toISOString();
  element.textContent = `server time ${formatClock(serverNowMs)}`;
}

/** Shows `message`, or hides the notice when null. */
export function showNotice(element: HTMLElement, message: string | null): void {
  element.hidden = message === null;
  element.textContent = message ?? '';
}
