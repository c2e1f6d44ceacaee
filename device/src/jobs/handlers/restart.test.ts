import { describe, expect, it } from 'vitest';
import { fakeJobRun } from '../../testing/jobs/fake-job-run.js';
import { RestartHandler } from './restart.js';

describe('restart', () => {
  it('checkpoints its boot id and asks for a restart, then succeeds under a new boot id', async () => {
    const first = fakeJobRun({ operation: 'restart' });
    const before = await new RestartHandler('boot-a').run(first);
    expect(before.status).toBe('RESTARTING');
    expect(first.checkpoints).toEqual([{ phase: 'restarting', bootId: 'boot-a' }]);

    const after = await new RestartHandler('boot-b').run(
      fakeJobRun({ operation: 'restart' }, { checkpoint: first.checkpoints[0] }),
    );
    expect(after).toEqual({ status: 'SUCCEEDED', details: { restartedFrom: 'boot-a', bootId: 'boot-b' } });
  });

  it('fails when it runs again in the same process (the restart never happened)', async () => {
    const outcome = await new RestartHandler('boot-a').run(
      fakeJobRun({ operation: 'restart' }, { checkpoint: { phase: 'restarting', bootId: 'boot-a' } }),
    );
    expect(outcome).toEqual({ status: 'FAILED', details: { reason: 'the agent did not restart' } });
  });
});
