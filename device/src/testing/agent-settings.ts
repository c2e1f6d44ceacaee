import type { AgentSettings } from '../agent.js';

/** The agent's settings in its unit tests: one device, unbatched, limits far from the tests' traffic. */
export const TEST_AGENT_SETTINGS: AgentSettings = {
  thingName: 'coffee-pi-1',
  endpoint: 'localhost',
  topicPrefix: 'dt/coffee-iot',
  batchSeconds: 0,
  healthIntervalSeconds: 60,
  statusIntervalMs: 5000,
  drainMs: 2000,
  publish: { maxPublishesPerSecond: 100, maxPayloadBytes: 128 * 1024, maxInFlight: 10 },
  reconnect: { minMs: 1000, maxMs: 60_000, stableAfterMs: 30_000 },
};
