import { readFileSync } from 'node:fs';

/**
 * The agent's version, from the package.json that ships with it: device/package.json in the
 * repository (dist/ is one level down) or the bundle's own package.json next to the bundle.
 */
export function readAgentVersion(moduleUrl: string = import.meta.url): string {
  for (const candidate of ['../package.json', './package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(candidate, moduleUrl), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.version && manifest.name?.includes('coffee-iot')) return manifest.version;
    } catch {
      // Not this candidate (absent in the other layout); try the next one.
    }
  }
  return '0.0.0-unknown';
}
