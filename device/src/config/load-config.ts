import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { type AgentConfig, CONFIG_PATH_ENV, DEFAULT_CONFIG_PATH, type LoadedConfig } from './agent-config.js';
import { ConfigError } from './config-error.js';
import type { ConfigFlagValues } from './config-flags.js';
import { type ConfigFs, nodeConfigFs } from './config-fs.js';
import { agentConfigSchema } from './config-schema.js';
import {
  type Assignment,
  envAssignments,
  flagAssignments,
  readConfigFile,
  setPath,
} from './config-sources.js';
import { describeSchemaErrors } from './describe-problems.js';
import { checkPemFiles } from './file-checks.js';
import { semanticProblems } from './semantic-checks.js';

// allErrors: report every mistake at once; useDefaults fills what no source set.
/**
 * Compiled per load, not at import: configuration is read once at start-up, and a validator
 * held by a module constant would stay in the agent's heap for the life of the process.
 */
function compileConfigValidator() {
  return new Ajv({ allErrors: true, strict: true, useDefaults: true }).compile(agentConfigSchema);
}

const PATH_KEYS = ['cert', 'key', 'rootCa', 'stateDir', 'camera.mockDir'] as const;

export interface ConfigSources {
  /** `--config FILE`; when absent, COFFEE_IOT_CONFIG, then /etc/coffee-iot/agent.json. */
  configPath?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  flags?: ConfigFlagValues;
  fs?: ConfigFs;
  /** Base for relative paths given by flag or environment. */
  cwd?: string;
  /**
   * Check that cert, key and CA exist and are readable (default true). `status` turns it
   * off: it only needs stateDir and may run as a user who cannot read the key.
   */
  checkFiles?: boolean;
}

function configFileLocation(sources: ConfigSources, cwd: string): { path: string; explicit: boolean } {
  if (sources.configPath !== undefined) return { path: resolve(cwd, sources.configPath), explicit: true };
  const fromEnv = sources.env[CONFIG_PATH_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv), explicit: true };
  return { path: DEFAULT_CONFIG_PATH, explicit: false };
}

/**
 * Relative paths in agent.json are relative to that file (so a config directory can be moved
 * whole); relative paths from a flag or variable are relative to the working directory.
 */
function absolutize(
  document: Record<string, unknown>,
  origins: Map<string, Assignment>,
  cwd: string,
  file: string,
) {
  for (const key of PATH_KEYS) {
    const [group, leaf] = key.includes('.') ? (key.split('.') as [string, string]) : [undefined, key];
    const parent = group === undefined ? document : document[group];
    if (typeof parent !== 'object' || parent === null) continue;
    const holder = parent as Record<string, unknown>;
    const value = holder[leaf];
    if (typeof value !== 'string' || value === '' || isAbsolute(value)) continue;
    const fromFile = origins.get(key)?.origin === file;
    holder[leaf] = resolve(fromFile ? dirname(file) : cwd, value);
  }
}

/**
 * Builds the agent configuration from flags > environment > file > defaults, validates it
 * and checks the PEM files. Throws ConfigError listing every problem, each naming its key.
 */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const fs = sources.fs ?? nodeConfigFs;
  const cwd = sources.cwd ?? process.cwd();
  const location = configFileLocation(sources, cwd);

  const file = readConfigFile(location.path, location.explicit, fs);
  const env = envAssignments(sources.env);
  const flags = flagAssignments(sources.flags ?? {});
  const problems = [...file.problems, ...env.problems, ...flags.problems];

  const document: Record<string, unknown> = structuredClone(file.document ?? {});
  const origins = new Map<string, Assignment>();
  for (const assignment of file.assignments) origins.set(assignment.path, assignment);
  // Later sources win: environment over file, flags over environment.
  for (const assignment of [...env.assignments, ...flags.assignments]) {
    setPath(document, assignment.path, assignment.value);
    origins.set(assignment.path, assignment);
  }
  const originOf = (path: string) => origins.get(path)?.origin;

  const validateConfig = compileConfigValidator();
  if (!validateConfig(document)) {
    const schemaProblems = describeSchemaErrors(validateConfig.errors ?? [], document, originOf);
    const missingRequired = (validateConfig.errors ?? []).some((error) => error.keyword === 'required');
    if (file.missing && !location.explicit && missingRequired) {
      problems.push(`config file ${location.path}: not found (create it or pass --config FILE)`);
    }
    problems.push(...schemaProblems);
  }
  problems.push(...semanticProblems(document, originOf));

  absolutize(document, origins, cwd, location.path);
  const warnings: string[] = [];
  if (sources.checkFiles !== false) {
    const checked = checkPemFiles(document, fs, originOf);
    problems.push(...checked.problems);
    warnings.push(...checked.warnings);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { config: document as unknown as AgentConfig, warnings };
}
