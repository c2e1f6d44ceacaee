import { ENV_PREFIX } from './agent-config.js';
import { agentConfigSchema, type SchemaNode } from './config-schema.js';

export type LeafType = 'string' | 'integer' | 'number' | 'boolean';

/** One settable value of agent.json, as the environment and the flags address it. */
export interface ConfigKey {
  /** Dotted path, e.g. `spool.maxBytes`. */
  path: string;
  /** `COFFEE_IOT_SPOOL_MAX_BYTES`. */
  envName: string;
  type: LeafType;
  description: string;
  default?: unknown;
  required: boolean;
}

/** `spool.maxBytes` → `SPOOL_MAX_BYTES`. */
export function screamingSnake(dottedPath: string): string {
  return dottedPath
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_');
}

function collect(node: SchemaNode, prefix: string, requiredHere: readonly string[], out: ConfigKey[]): void {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (child.type === 'object') {
      collect(child, path, child.required ?? [], out);
      continue;
    }
    const key: ConfigKey = {
      path,
      envName: `${ENV_PREFIX}${screamingSnake(path)}`,
      type: child.type,
      description: child.description ?? '',
      required: requiredHere.includes(name),
    };
    if (child.default !== undefined) key.default = child.default;
    out.push(key);
  }
}

/** Every leaf key of the schema, in schema order. */
export const CONFIG_KEYS: readonly ConfigKey[] = (() => {
  const keys: ConfigKey[] = [];
  collect(agentConfigSchema, '', agentConfigSchema.required ?? [], keys);
  return keys;
})();

const byPath = new Map(CONFIG_KEYS.map((key) => [key.path, key]));
const byEnvName = new Map(CONFIG_KEYS.map((key) => [key.envName, key]));

export function configKeyByPath(path: string): ConfigKey | undefined {
  return byPath.get(path);
}

export function configKeyByEnvName(name: string): ConfigKey | undefined {
  return byEnvName.get(name);
}

/** The schema node at a dotted path (leaf or object), for describing errors. */
export function schemaNodeAt(path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = agentConfigSchema;
  for (const part of path === '' ? [] : path.split('.')) {
    node = node?.properties?.[part];
  }
  return node;
}
