import type { ErrorObject } from 'ajv';
import { schemaNodeAt } from './config-keys.js';

/** `/spool/maxBytes` → `spool.maxBytes`. */
function dotted(instancePath: string): string {
  return instancePath.split('/').slice(1).join('.');
}

function join(parent: string, child: string): string {
  return parent === '' ? child : `${parent}.${child}`;
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
};

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(document: unknown, path: string): unknown {
  let node = document;
  for (const part of path === '' ? [] : path.split('.')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node;
}

/**
 * One line per schema error: `key: what is wrong; expected <form> (from <source>)`.
 * `originOf` says which file, variable or flag set a key, so the operator knows where to fix it.
 */
export function describeSchemaErrors(
  errors: readonly ErrorObject[],
  document: unknown,
  originOf: (path: string) => string | undefined,
): string[] {
  return errors.map((error) => {
    const at = dotted(error.instancePath);
    if (error.keyword === 'required') {
      const path = join(at, String(error.params.missingProperty));
      const description = schemaNodeAt(path)?.description;
      return `${path}: required but not set${description ? `; expected ${description}` : ''}`;
    }
    if (error.keyword === 'additionalProperties') {
      const path = join(at, String(error.params.additionalProperty));
      const known = Object.keys(schemaNodeAt(at)?.properties ?? {}).join(', ');
      const origin = originOf(path);
      return `${path}: unknown key${origin ? ` (from ${origin})` : ''}; known keys${at ? ` under ${at}` : ''}: ${known}`;
    }
    const node = schemaNodeAt(at);
    let what: string;
    switch (error.keyword) {
      case 'type':
        what = `must be ${TYPE_WORDS[String(error.params.type)] ?? String(error.params.type)}`;
        break;
      case 'enum':
        what = `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
        break;
      case 'pattern':
        what = 'has the wrong form';
        break;
      case 'minLength':
        what =
          error.params.limit === 1
            ? 'must not be empty'
            : `must be at least ${error.params.limit} characters`;
        break;
      default:
        what = error.message ?? error.keyword;
    }
    const origin = originOf(at);
    const expected = node?.description && error.keyword !== 'enum' ? `; expected ${node.description}` : '';
    return `${at}: ${what}, got ${shown(valueAt(document, at))}${expected}${origin ? ` (from ${origin})` : ''}`;
  });
}
