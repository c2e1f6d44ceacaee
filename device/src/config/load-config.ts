import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { applyRemoteLayer } from '../remote-config/remote-checks.js';
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
import { allowingClaimIdentity, applyProvisionedIdentity, claimFileProblems } from './provisioning-config.js';
import { semanticProblems } from './semantic-checks.js';

// allErrors: report every mistake at once; useDefaults fills what no source set.
/**
 * Compiled per load, not at import: configuration is read once at start-up, and a validator
 * held by a module constant would stay in the agent's heap for the life of the process.
 */
function compileConfigValidator() {
  return allowingClaimIdentity(
    new Ajv({ allErrors: true, strict: true, useDefaults: true }).compile(agentConfigSchema),
  );
}

type ConfigValidator = ReturnType<typeof compileConfigValidator>;

function documentProblems(
  validate: ConfigValidator,
  document: Record<string, unknown>,
  originOf: (path: string) => string | undefined,
): string[] {
  const problems = validate(document) ? [] : describeSchemaErrors(validate.errors ?? [], document, originOf);
  return [...problems, ...semanticProblems(document, originOf)];
}

/**
 * A checker for whole documents with agent.json's rules (schema and semantic checks). Remote
 * changes (device/src/remote-config) go through it, so the shadow is held to the same rules as the
 * file. The schema is compiled per checker (~150 ms on a Pi-class CPU), so make one per batch of
 * changes and drop it, for the memory reason given above.
 */
export function configChecker(
  originOf: (path: string) => string | undefined = () => undefined,
): (document: Record<string, unknown>) => string[] {
  const validate = compileConfigValidator();
  return (document) => documentProblems(validate, document, originOf);
}

const PATH_KEYS = [
  'cert',
  'key',
  'rootCa',
  'stateDir',
  'camera.mockDir',
  'provisioning.claimCert',
  'provisioning.claimKey',
] as const;

export interface ConfigSources {
  /** `--config FILE`; when absent, COFFEE_IOT_CONFIG, then /etc/coffee-iot/agent.json. */
  configPath?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  flags?: ConfigFlagValues;
  fs?: ConfigFs;
  /** Base for relative paths given by flag or environment. */
  cwd?: string;
  /**
   * Apply the remote settings saved in `{stateDir}/remote-config.json` (default true): what the
   * config shadow or a set-config job changed survives a restart, even an offline one.
   */
  remoteOverrides?: boolean;
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
 * Builds the agent configuration and validates it, then checks the PEM files. Throws ConfigError
 * listing every problem, each naming its key.
 *
 * Precedence, lowest first: schema defaults < agent.json < remote settings (the `config` shadow or
 * a set-config job, saved in {stateDir}/remote-config.json) < COFFEE_IOT_* environment < flags.
 * A key set by the environment or a flag is pinned: a remote change to it is refused as such,
 * so what someone typed on the device always wins. The remote layer is applied only on top of a
 * configuration that is valid without it, and a saved value that no longer passes is skipped with
 * a warning: a remote setting can never stop the agent from starting.
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
  const valid = validateConfig(document);
  if (!valid) {
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
  const pinned = new Map<string, string>();
  for (const [path, assignment] of origins) {
    if (assignment.origin !== location.path) pinned.set(path, assignment.origin);
  }
  let remote: Record<string, unknown> = {};
  let effective = document;
  if (
    valid &&
    problems.length === 0 &&
    sources.remoteOverrides !== false &&
    typeof document.stateDir === 'string'
  ) {
    const layer = applyRemoteLayer(document, document.stateDir, pinned, fs, (candidate) =>
      documentProblems(validateConfig, candidate, originOf),
    );
    effective = layer.document;
    remote = layer.applied;
    warnings.push(...layer.warnings);
  }
  applyProvisionedIdentity(effective, fs);
  if (sources.checkFiles !== false) {
    const checked = checkPemFiles(effective, fs, originOf);
    const claim = claimFileProblems(effective, fs, originOf);
    problems.push(...checked.problems, ...claim.problems);
    warnings.push(...checked.warnings, ...claim.warnings);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { config: effective as unknown as AgentConfig, warnings, pinned, remote };
}
