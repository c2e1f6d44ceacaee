import { isDeepStrictEqual } from 'node:util';
import type { AgentConfig } from '../config/agent-config.js';
import { setPath } from '../config/config-sources.js';
import { configChecker } from '../config/load-config.js';
import type { Clock } from '../ports/clock.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import type { ConfigChangeResult, ConfigChangeSource, LiveConfigApplier } from './live-config-port.js';
import { remoteConfigPath, writeOverrides } from './overrides-file.js';
import { checkRemoteChange, type DocumentProblems, type PinnedKeys } from './remote-checks.js';
import { flattenSettings, type LiveKey, remoteKeyKind, valueAtPath } from './remote-keys.js';

/** Where each live key is applied in the running agent. A key without a setter waits for a restart. */
export interface LiveSetters {
  intervalMs?: (intervalMs: number) => void;
  batchSeconds?: (batchSeconds: number) => void;
  'coffee.countdownSeconds'?: (seconds: number) => void;
  logLevel?: (level: LogLevel) => void;
  healthIntervalSeconds?: (seconds: number) => void;
}

export interface RemoteConfigApplierOptions {
  /** The settings in effect at start, remote overrides included. */
  config: AgentConfig;
  /** The overrides loaded from remote-config.json (LoadedConfig.remote). */
  overrides?: Readonly<Record<string, unknown>>;
  /** Keys a flag or environment variable set (LoadedConfig.pinned). */
  pinned?: PinnedKeys;
  live: LiveSetters;
  clock: Clock;
  logger: Logger;
  /** Makes a checker for one batch of changes; defaults to agent.json's own checks (configChecker). */
  newChecker?: () => DocumentProblems;
  /** Defaults to an atomic write of {stateDir}/remote-config.json. */
  save?: (overrides: Readonly<Record<string, unknown>>) => Promise<void>;
}

/**
 * Applies remote changes of the agent's settings: each key is checked by agent.json's own rules,
 * saved in the state directory (so the next start, even offline, keeps it), then applied at once
 * when it can be, or at the next start when it cannot. Calls are handled one at a time, so the
 * shadow and a set-config job never interleave.
 */
export class RemoteConfigApplier implements LiveConfigApplier {
  /** The settings the running agent uses now. */
  private inEffect: Record<string, unknown>;
  /** What the next start will use: inEffect plus the changes waiting for a restart. */
  private nextStart: Record<string, unknown>;
  private overrides: Record<string, unknown>;
  private readonly newChecker: () => DocumentProblems;
  private readonly save: (overrides: Readonly<Record<string, unknown>>) => Promise<void>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(keys: readonly string[], source: ConfigChangeSource) => void>();

  constructor(private readonly options: RemoteConfigApplierOptions) {
    this.inEffect = structuredClone(options.config) as unknown as Record<string, unknown>;
    this.nextStart = structuredClone(this.inEffect);
    this.overrides = { ...options.overrides };
    this.newChecker = options.newChecker ?? (() => configChecker(() => 'remote'));
    const path = remoteConfigPath(options.config.stateDir);
    this.save = options.save ?? ((overrides) => writeOverrides(path, overrides, options.clock.now()));
  }

  apply(changes: Readonly<Record<string, unknown>>, source: ConfigChangeSource): Promise<ConfigChangeResult> {
    const run = this.queue.then(() => this.applyNow(changes, source));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Called after a change was saved (applied live or pending a restart), with its keys: the config
   * shadow reports what a set-config job changed. Returns an unsubscribe function.
   */
  onChanged(listener: (keys: readonly string[], source: ConfigChangeSource) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The value a dotted key has in the running agent. */
  valueInEffect(path: string): unknown {
    return valueAtPath(this.inEffect, path);
  }

  /** Saved changes the running agent does not use yet (they apply at the next start). */
  pendingRestart(): Record<string, unknown> {
    const pending: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(this.overrides)) {
      if (!isDeepStrictEqual(valueAtPath(this.inEffect, path), value)) pending[path] = value;
    }
    return pending;
  }

  private async applyNow(
    changes: Readonly<Record<string, unknown>>,
    source: ConfigChangeSource,
  ): Promise<ConfigChangeResult> {
    const { logger, pinned = new Map<string, string>() } = this.options;
    const refused: Record<string, string> = {};
    const accepted: Record<string, unknown> = {};
    let candidate = this.nextStart;
    const problemsOf = this.newChecker();
    for (const [path, value] of Object.entries(flattenSettings(changes))) {
      const checked = checkRemoteChange(candidate, path, value, pinned, problemsOf);
      if (!checked.ok) {
        refused[path] = checked.reason;
        continue;
      }
      candidate = checked.document;
      accepted[path] = value;
    }
    const applied: Record<string, unknown> = {};
    const pendingRestart: Record<string, unknown> = {};
    if (Object.keys(accepted).length > 0) {
      const overrides = { ...this.overrides, ...accepted };
      try {
        await this.save(overrides);
      } catch (error) {
        // Applying without saving would silently undo itself at the next reboot: refuse instead.
        const reason = `could not be saved in the state directory (${(error as Error).message}); nothing changed`;
        for (const path of Object.keys(accepted)) refused[path] = reason;
        logger.error(
          { err: error, source, keys: Object.keys(accepted) },
          'remote settings not saved; refused',
        );
        return { applied, refused, pendingRestart };
      }
      this.overrides = overrides;
      this.nextStart = candidate;
      for (const [path, value] of Object.entries(accepted)) {
        if (this.applyLive(path, value)) applied[path] = value;
        else pendingRestart[path] = value;
      }
    }
    const result = { applied, refused, pendingRestart };
    if (Object.keys(changes).length > 0) {
      logger.info({ source, ...result }, 'remote settings change handled');
    }
    const changed = Object.keys(accepted);
    if (changed.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(changed, source);
        } catch (error) {
          logger.error({ err: error }, 'remote settings listener failed');
        }
      }
    }
    return result;
  }

  /** True when the running agent now uses `value` (or already did). */
  private applyLive(path: string, value: unknown): boolean {
    if (isDeepStrictEqual(valueAtPath(this.inEffect, path), value)) return true;
    const kind = remoteKeyKind(path);
    if (kind.kind !== 'live') return false;
    const setter = this.options.live[kind.key] as ((value: never) => void) | undefined;
    if (!setter) return false;
    try {
      setter(value as never);
    } catch (error) {
      // Saved already, so the next start uses it; until then the old value stays in effect.
      this.options.logger.error({ err: error, key: path }, 'remote setting saved but not applied live');
      return false;
    }
    setPath(this.inEffect, path, value);
    return true;
  }
}

export type { LiveKey };
