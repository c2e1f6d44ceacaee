import type { LeafType } from './config-keys.js';

export type Coerced = { ok: true; value: string | number | boolean } | { ok: false; expected: string };

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * Environment variables and flags are text; the schema wants typed values. A value that
 * cannot be read as its type is reported here, naming the type, rather than handed to the
 * schema as a string that would fail with a vaguer message.
 */
export function coerce(raw: string, type: LeafType): Coerced {
  const text = raw.trim();
  switch (type) {
    case 'string':
      return { ok: true, value: raw };
    case 'integer':
      return /^[+-]?\d+$/.test(text)
        ? { ok: true, value: Number(text) }
        : { ok: false, expected: 'an integer' };
    case 'number': {
      const value = Number(text);
      return text !== '' && Number.isFinite(value)
        ? { ok: true, value }
        : { ok: false, expected: 'a number' };
    }
    case 'boolean': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) return { ok: true, value: true };
      if (FALSE_WORDS.has(word)) return { ok: true, value: false };
      return { ok: false, expected: 'true or false (also 1/0, yes/no, on/off)' };
    }
  }
}
