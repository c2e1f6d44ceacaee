// Decoding the server-sent events into one tagged union the state can switch on.
import { DASHBOARD_EVENT_NAMES, type DashboardEventName, type DashboardEvents } from './api.js';

export type DashboardEvent = {
  [K in DashboardEventName]: { name: K; data: DashboardEvents[K] };
}[DashboardEventName];

export function isDashboardEventName(name: string): name is DashboardEventName {
  return (DASHBOARD_EVENT_NAMES as readonly string[]).includes(name);
}

/**
 * The event named `name` with `json` as its data. The data is trusted to follow the contract: it
 * comes from our own same-origin server, whose types a test keeps in step with api.ts. Throws
 * SyntaxError for data that is not JSON, so the caller can log it and carry on.
 */
export function decodeEvent(name: DashboardEventName, json: string): DashboardEvent {
  return { name, data: JSON.parse(json) } as DashboardEvent;
}
