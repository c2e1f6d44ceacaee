import { isDeepStrictEqual } from 'node:util';
import type { LiveAgentSettings } from '../agent.js';
import type { AgentConfig } from '../config/agent-config.js';
import { nodeConfigFs } from '../config/config-fs.js';
import type { Clock } from '../ports/clock.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import { type LiveSetters, RemoteConfigApplier } from './config-applier.js';
import { readOverrides, remoteConfigPath } from './overrides-file.js';
import { valueAtPath } from './remote-keys.js';
import { ShadowConfigService } from './shadow-config-service.js';

export interface OpenRemoteConfigOptions {
  config: AgentConfig;
  /** LoadedConfig.pinned: keys a flag or environment variable set. */
  pinned?: ReadonlyMap<string, string> | undefined;
  /** LoadedConfig.remote: overrides already in effect from remote-config.json. */
  overrides?: Readonly<Record<string, unknown>> | undefined;
  /** The running agent (late-bound: it is built after its services). */
  agent: () => { applyLive(changes: LiveAgentSettings): void } | undefined;
  setCountdownSeconds?: (seconds: number) => void;
  /** The root logger: children inherit its level, so setting it here sets it everywhere. */
  logger: Logger;
  clock: Clock;
}

export interface RemoteConfig {
  /** Also what a set-config job calls. */
  applier: RemoteConfigApplier;
  /** The named shadow `config`, one of the agent's connection services. */
  service: ShadowConfigService;
}

/** The agent's live remote configuration: one applier, shared by the config shadow and jobs. */
export function openRemoteConfig(options: OpenRemoteConfigOptions): RemoteConfig {
  const { config, logger, clock } = options;
  const agent = (changes: LiveAgentSettings) => {
    const running = options.agent();
    if (!running) throw new Error('the agent is not running yet');
    running.applyLive(changes);
  };
  const live: LiveSetters = {
    intervalMs: (intervalMs) => agent({ intervalMs }),
    batchSeconds: (batchSeconds) => agent({ batchSeconds }),
    healthIntervalSeconds: (healthIntervalSeconds) => agent({ healthIntervalSeconds }),
    logLevel: (level: LogLevel) => {
      logger.level = level;
    },
    ...(options.setCountdownSeconds ? { 'coffee.countdownSeconds': options.setCountdownSeconds } : {}),
  };
  const applier = new RemoteConfigApplier({
    config,
    overrides: options.overrides ?? overridesInEffect(config),
    ...(options.pinned ? { pinned: options.pinned } : {}),
    live,
    clock,
    logger: logger.child({ component: 'remote-config' }),
  });
  const service = new ShadowConfigService({
    thingName: config.thingName,
    applier,
    clock,
    logger: logger.child({ component: 'config-shadow' }),
  });
  return { applier, service };
}

/**
 * For callers that loaded the configuration without keeping LoadedConfig.remote (the local fleet):
 * the saved overrides the configuration took. Without them the next save would forget the others.
 */
function overridesInEffect(config: AgentConfig): Record<string, unknown> {
  const { overrides } = readOverrides(remoteConfigPath(config.stateDir), nodeConfigFs);
  return Object.fromEntries(
    Object.entries(overrides).filter(([path, value]) => isDeepStrictEqual(valueAtPath(config, path), value)),
  );
}
