import type { ConfigFs } from '../config/config-fs.js';
import { setPath } from '../config/config-sources.js';
import { readOverrides, remoteConfigPath } from './overrides-file.js';
import { remoteKeyKind } from './remote-keys.js';

/**
 * Every problem the agent's own configuration checks find in a whole document (the JSON schema of
 * agent.json and the rules it cannot express): load-config.ts supplies it, so a remote value goes
 * through exactly what agent.json goes through.
 */
export type DocumentProblems = (document: Record<string, unknown>) => string[];

/** Keys set on the device by a flag or environment variable (key → `--interval-ms`, `COFFEE_IOT_…`). */
export type PinnedKeys = ReadonlyMap<string, string>;

export function pinnedReason(origin: string): string {
  return origin.startsWith('--')
    ? `pinned by a command-line flag (${origin}); remove the flag on the device to change it remotely`
    : `pinned by the environment variable ${origin}; remove it on the device to change it remotely`;
}

export type RemoteCheck =
  | { ok: true; document: Record<string, unknown>; needsRestart: boolean }
  | { ok: false; reason: string };

/**
 * Whether `path` may take `value` from a remote source, judged against `document` (the settings
 * in effect, which are valid): refused keys, pinned keys, then the configuration checks on the
 * document with the change applied. Since the document was valid, every problem found is this
 * change's. On success, `document` is a changed copy.
 */
export function checkRemoteChange(
  document: Readonly<Record<string, unknown>>,
  path: string,
  value: unknown,
  pinned: PinnedKeys,
  problemsOf: DocumentProblems,
): RemoteCheck {
  const kind = remoteKeyKind(path);
  if (kind.kind === 'refused') return { ok: false, reason: kind.reason };
  const pin = pinned.get(path);
  if (pin !== undefined) return { ok: false, reason: pinnedReason(pin) };
  const candidate = structuredClone(document) as Record<string, unknown>;
  setPath(candidate, path, value);
  const problems = problemsOf(candidate);
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
  return { ok: true, document: candidate, needsRestart: kind.kind === 'restart' };
}

export interface RemoteLayer {
  document: Record<string, unknown>;
  /** The overrides in effect, dotted key → value. */
  applied: Record<string, unknown>;
  /** One line per override that was not applied, and why. */
  warnings: string[];
}

/**
 * The remote layer of the configuration: `{stateDir}/remote-config.json`, over agent.json and
 * under the environment and the flags. Each saved override is checked again as it was when it
 * arrived (an agent update may have narrowed a range, a flag may pin it now); one that no longer
 * passes is skipped with a warning instead of stopping the agent.
 */
export function applyRemoteLayer(
  document: Record<string, unknown>,
  stateDir: string,
  pinned: PinnedKeys,
  fs: ConfigFs,
  problemsOf: DocumentProblems,
): RemoteLayer {
  const path = remoteConfigPath(stateDir);
  const read = readOverrides(path, fs);
  const warnings = read.problem ? [read.problem] : [];
  let current = document;
  const applied: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(read.overrides)) {
    const checked = checkRemoteChange(current, key, value, pinned, problemsOf);
    if (!checked.ok) {
      warnings.push(
        `${key}: remote setting ${JSON.stringify(value)} from ${path} not applied: ${checked.reason}`,
      );
      continue;
    }
    current = checked.document;
    applied[key] = value;
  }
  return { document: current, applied, warnings };
}
