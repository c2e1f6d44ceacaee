import type { JobStatusDetails } from '@coffee-iot/shared';

/** AWS caps each statusDetails value at 1,024 characters and refuses control characters. */
const MAX_VALUE_CHARS = 1024;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/** Details the jobs service accepts: no control characters, each value cut to the limit (marked). */
export function cleanStatusDetails(details: JobStatusDetails): JobStatusDetails {
  const clean: JobStatusDetails = {};
  for (const [key, raw] of Object.entries(details)) {
    const value = String(raw).replace(CONTROL, ' ').trim() || '-';
    clean[key.replace(CONTROL, '')] =
      value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS - 1)}…` : value;
  }
  return clean;
}

/** An error in plain words for a `reason`. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error)
    return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}
