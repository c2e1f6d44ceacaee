/** Command-line flags that set a config key; flags win over environment and file. */
export const CONFIG_FLAGS = [
  { flag: 'thing-name', path: 'thingName' },
  { flag: 'endpoint', path: 'endpoint' },
  { flag: 'port', path: 'port' },
  { flag: 'cert', path: 'cert' },
  { flag: 'key', path: 'key' },
  { flag: 'root-ca', path: 'rootCa' },
  { flag: 'state-dir', path: 'stateDir' },
  { flag: 'topic-prefix', path: 'topicPrefix' },
  { flag: 'interval-ms', path: 'intervalMs' },
  { flag: 'batch-seconds', path: 'batchSeconds' },
  { flag: 'transport', path: 'transport' },
  { flag: 'log-level', path: 'logLevel' },
  { flag: 'mock', path: 'mock' },
] as const;

export type ConfigFlagName = (typeof CONFIG_FLAGS)[number]['flag'];

/** Flag values as node:util parseArgs returns them; absent flags are undefined. */
export type ConfigFlagValues = Partial<Record<ConfigFlagName, string | boolean>>;
