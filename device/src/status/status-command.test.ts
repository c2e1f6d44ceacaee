import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStatusCommand } from './status-command.js';
import { type AgentStatus, statusFilePath, writeStatusFile } from './status-file.js';

const status: AgentStatus = {
  pid: 4242,
  updatedAt: '2026-03-01T10:00:00.000Z',
  connection: 'connected',
  transport: 'aws-crt',
  endpoint: 'broker.local',
  spoolDepth: 0,
  oldestUnsentAt: null,
  droppedReadings: 0,
  sensorErrors: 0,
  lastPubackAt: '2026-03-01T09:59:59.000Z',
  agentVersion: '0.1.0',
  startedAt: '2026-03-01T09:00:00.000Z',
};

function sink() {
  let text = '';
  return {
    write: (chunk: string) => (text += chunk),
    get text() {
      return text;
    },
  };
}

describe('runStatusCommand', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-status-cmd-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(json: boolean, pidAlive = true, nowIso = '2026-03-01T10:00:01.000Z') {
    const stdout = sink();
    const stderr = sink();
    const code = await runStatusCommand({
      stateDir: dir,
      json,
      now: () => Date.parse(nowIso),
      pidAlive: () => pidAlive,
      stdout,
      stderr,
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('exits 0 when the agent runs and is connected', async () => {
    await writeStatusFile(dir, status);
    const result = await run(false);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^agent running: pid 4242/);
  });

  it('says whether the clock can be trusted and what waited for it', async () => {
    await writeStatusFile(dir, {
      ...status,
      clock: {
        clockSynchronized: false,
        heldReadings: 42,
        restampedReadings: 0,
        unsynchronizedReadings: 0,
        clockSteps: 1,
      },
    });
    const result = await run(false);
    expect(result.stdout).toContain(
      'clock:           NOT synchronised (check NTP: timedatectl); 42 held, 0 restamped',
    );
    await writeStatusFile(dir, status);
    expect((await run(false)).stdout).not.toContain('clock:');
  });

  it('exits 1 when the agent runs but is disconnected', async () => {
    await writeStatusFile(dir, { ...status, connection: 'disconnected' });
    expect((await run(false)).code).toBe(1);
  });

  it('exits 1 and says "agent not running" when the pid is dead', async () => {
    await writeStatusFile(dir, status);
    const result = await run(false, false);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^agent not running/);
  });

  it('exits 1 and says "agent not running" when the file is stale', async () => {
    await writeStatusFile(dir, status);
    const result = await run(false, true, '2026-03-01T10:01:00.000Z');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^agent not running: status file is 1m 0s old/);
  });

  it('exits 1 without a status file', async () => {
    const result = await run(true);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ running: false, connected: false, status: null });
  });

  it('prints machine-readable JSON with --json', async () => {
    await writeStatusFile(dir, status);
    const result = await run(true);
    expect(JSON.parse(result.stdout)).toEqual({
      running: true,
      connected: true,
      statusFile: statusFilePath(dir),
      status,
    });
  });

  it('reports a corrupt status file on stderr and exits 1', async () => {
    await writeFile(statusFilePath(dir), 'garbage');
    const result = await run(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/status\.json is not JSON/);
  });
});
