import type { DeviceConfigView } from './fleet-control-port.js';

/** The operator's view of a `config` shadow document (GetThingShadow / get/accepted shape). */
export function configView(thing: string, document: unknown): DeviceConfigView {
  const doc = (document ?? {}) as { state?: Record<string, unknown>; version?: unknown };
  const state = doc.state ?? {};
  return {
    thing,
    desired: record(state.desired),
    reported: record(state.reported),
    delta: record(state.delta),
    version: typeof doc.version === 'number' ? doc.version : null,
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
