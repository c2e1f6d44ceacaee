/**
 * What changing the agent's configuration at run time answers, whoever asked (the `config` shadow
 * or a `set-config` job). Keys are agent.json keys; values are as the config schema reads them.
 */
export interface ConfigChangeResult {
  /** Checked and applied now (no restart), and persisted in the state directory. */
  readonly applied: Readonly<Record<string, unknown>>;
  /** Refused, each with the reason in plain words (the value is not changed). */
  readonly refused: Readonly<Record<string, string>>;
  /** Valid and persisted, but only a restart applies them (e.g. the endpoint or the transport). */
  readonly pendingRestart: Readonly<Record<string, unknown>>;
}

export type ConfigChangeSource = 'shadow' | 'job';

/** Implemented by device/src/remote-config; used by the config shadow and the `set-config` job. */
export interface LiveConfigApplier {
  apply(changes: Readonly<Record<string, unknown>>, source: ConfigChangeSource): Promise<ConfigChangeResult>;
}
