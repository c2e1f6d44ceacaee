import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../local/src/stack/local-stack.js';
import { runCli } from '../cli/run-cli.js';
import { eventually, startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

/**
 * The operator's fleet commands against `npm start`: the CLI talks to the stack's API, the stack's
 * shadow and jobs services talk MQTT to a real simulated agent, and what the agent did comes back.
 */
describe('coffee-iot devices config and jobs on the local stack', () => {
  let stack: LocalStack;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  const cli = (...argv: string[]) =>
    runCli([...argv, '--dashboard', stack.dashboardUrl], { now: () => new Date() });

  beforeAll(async () => {
    dataDir = await tempDataDir();
    stack = await startTestStack(testStackOptions(dataDir.path, { devices: 1 }));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await dataDir?.remove();
  }, 60_000);

  async function reported(): Promise<Record<string, unknown>> {
    const run = await cli('devices', 'config', 'coffee-pi-1', '--json');
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { reported: Record<string, unknown> }).reported;
  }

  it('changes a live setting: the device applies it without a restart and reports it in effect', async () => {
    const set = await cli('devices', 'config', 'coffee-pi-1', '--set', 'batchSeconds=3');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/batchSeconds = 3/);
    expect(set.stderr).toMatch(/using the local stack at http/);

    await eventually('batchSeconds 3 reported', async () =>
      (await reported()).batchSeconds === 3 ? true : undefined,
    );
    const view = JSON.parse((await cli('devices', 'config', 'coffee-pi-1', '--json')).stdout) as {
      delta: Record<string, unknown>;
    };
    expect(view.delta).not.toHaveProperty('batchSeconds');
  }, 60_000);

  it('reports a value the device refuses, with the reason, and keeps the old one', async () => {
    const before = (await reported()).intervalMs;
    expect((await cli('devices', 'config', 'coffee-pi-1', '--set', 'intervalMs=-5')).code).toBe(0);

    const refused = await eventually('intervalMs refused', async () => {
      const reasons = (await reported()).refused as Record<string, string> | undefined;
      return reasons?.intervalMs;
    });
    expect(refused).toMatch(/intervalMs/);
    expect((await reported()).intervalMs).toBe(before);
  }, 60_000);

  it('takes a photo now through the jobs path and follows the job to SUCCEEDED', async () => {
    const run = await cli('jobs', 'run', 'capture-photo', '--things', 'coffee-pi-1', '--wait', '--json');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const job = JSON.parse(run.stdout) as { jobId: string; executions: { thing: string; status: string }[] };
    expect(job.executions).toEqual([expect.objectContaining({ thing: 'coffee-pi-1', status: 'SUCCEEDED' })]);

    const status = await cli('jobs', 'status', job.jobId);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/coffee-pi-1\s+SUCCEEDED/);
  }, 90_000);

  it('rotates a device’s certificate from the CLI: the job SUCCEEDS and telemetry goes on', async () => {
    const run = await cli('devices', 'rotate-cert', 'coffee-pi-1', '--wait', '--json');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const job = JSON.parse(run.stdout) as { executions: { thing: string; status: string }[] };
    expect(job.executions).toEqual([expect.objectContaining({ thing: 'coffee-pi-1', status: 'SUCCEEDED' })]);
    // Still configurable after the switch: it is connected again, with the new certificate.
    expect((await cli('devices', 'config', 'coffee-pi-1', '--set', 'batchSeconds=2')).code).toBe(0);
    await eventually('batchSeconds 2 reported', async () =>
      (await reported()).batchSeconds === 2 ? true : undefined,
    );
  }, 120_000);

  it('an operation outside the agent’s allow-list, queued past the CLI, ends REJECTED and runs nothing', async () => {
    const job = await stack.control.createJob({
      document: { operation: 'shell', command: 'id' },
      targets: ['coffee-pi-1'],
    });
    const execution = await eventually('the shell job answered', async () => {
      const [only] = (await stack.control.describeJob(job.jobId)).executions;
      return only?.status === 'QUEUED' || only?.status === 'IN_PROGRESS' ? undefined : only;
    });
    expect(execution.status).toBe('REJECTED');
    expect(JSON.stringify(execution.statusDetails)).toMatch(/shell/);
  }, 60_000);
});
