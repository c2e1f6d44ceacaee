import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { silentLogger } from '../ports/logger.js';
import { RemoteConfigApplier } from './config-applier.js';
import { REMOTE_CONFIG_FILE } from './overrides-file.js';

describe('remote settings layer of the configuration', () => {
  let dir: string;
  let configPath: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffee-remote-layer-'));
    configPath = join(dir, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        thingName: 'coffee-pi-1',
        endpoint: 'localhost',
        cert: 'c.pem',
        key: 'k.pem',
        rootCa: 'ca.pem',
        stateDir: dir,
        intervalMs: 1000,
        batchSeconds: 2,
      }),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const saveOverrides = (overrides: unknown) =>
    writeFileSync(join(dir, REMOTE_CONFIG_FILE), JSON.stringify({ v: 1, updatedAt: '', overrides }));
  const load = (env: Record<string, string> = {}) => loadConfig({ configPath, env, checkFiles: false });

  it('puts saved remote settings over agent.json', () => {
    saveOverrides({ intervalMs: 5000, 'coffee.countdownSeconds': 0 });
    const { config, remote, warnings } = load();
    expect(config).toMatchObject({ intervalMs: 5000, batchSeconds: 2, coffee: { countdownSeconds: 0 } });
    expect(remote).toEqual({ intervalMs: 5000, 'coffee.countdownSeconds': 0 });
    expect(warnings).toEqual([]);
  });

  it('lets the environment win over a saved remote setting, and says so', () => {
    saveOverrides({ intervalMs: 5000 });
    const { config, pinned, warnings } = load({ COFFEE_IOT_INTERVAL_MS: '3000' });
    expect(config.intervalMs).toBe(3000);
    expect(pinned?.get('intervalMs')).toBe('COFFEE_IOT_INTERVAL_MS');
    expect(warnings).toEqual([
      expect.stringMatching(/^intervalMs: .* pinned by the environment variable COFFEE_IOT_INTERVAL_MS/),
    ]);
  });

  it('starts with agent.json alone when a saved setting no longer passes or the file is damaged', () => {
    saveOverrides({ intervalMs: 5, endpoint: 'elsewhere.example', batchSeconds: 9 });
    const skipped = load();
    expect(skipped.config).toMatchObject({ intervalMs: 1000, endpoint: 'localhost', batchSeconds: 9 });
    expect(skipped.warnings).toEqual([
      expect.stringMatching(/^intervalMs: .*must be >= 100/),
      expect.stringMatching(/^endpoint: .*nobody can reach it/),
    ]);

    writeFileSync(join(dir, REMOTE_CONFIG_FILE), '{"v": 1, "overr');
    const damaged = load();
    expect(damaged.config.intervalMs).toBe(1000);
    expect(damaged.warnings).toEqual([expect.stringMatching(/invalid JSON .* remote settings ignored$/)]);
  });

  it('refuses everything, and changes nothing, when the settings cannot be saved', async () => {
    const { config } = load();
    const applier = new RemoteConfigApplier({
      config,
      live: { intervalMs: () => undefined },
      clock: { now: () => 0 },
      logger: silentLogger(),
      save: () => Promise.reject(new Error('ENOSPC: no space left on device')),
    });
    const result = await applier.apply({ intervalMs: 2000 }, 'job');
    expect(result).toEqual({
      applied: {},
      pendingRestart: {},
      refused: { intervalMs: expect.stringMatching(/could not be saved .*ENOSPC.*nothing changed/) },
    });
    expect(applier.valueInEffect('intervalMs')).toBe(1000);
  });
});
