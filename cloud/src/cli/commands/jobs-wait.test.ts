import { describe, expect, it } from 'vitest';
import type { FleetControl, JobView } from '../../fleet-control/fleet-control-port.js';
import { WAIT_LIMIT_MS, WAIT_POLL_MS, waitForJob } from './jobs.js';

/** A fleet whose one device is off: its execution stays QUEUED however often it is asked. */
function fleetWithOffDevice(): FleetControl & { asked: number } {
  const job: JobView = {
    jobId: 'j1',
    status: 'IN_PROGRESS',
    document: { operation: 'restart' },
    executions: [{ thing: 'coffee-pi-off', status: 'QUEUED', statusDetails: {}, lastUpdatedAt: null }],
  };
  return {
    description: 'test',
    asked: 0,
    getConfig: () => Promise.reject(new Error('unused')),
    setDesiredConfig: () => Promise.reject(new Error('unused')),
    createJob: () => Promise.reject(new Error('unused')),
    async describeJob() {
      this.asked += 1;
      return job;
    },
  };
}

describe('waitForJob', () => {
  it('gives up at the limit on a device that never answers, returning the job as it stands', async () => {
    const fleet = fleetWithOffDevice();
    let clock = 0;
    const job = await waitForJob(
      fleet,
      'j1',
      async (ms) => {
        clock += ms;
      },
      WAIT_LIMIT_MS,
      () => clock,
    );
    expect(job.executions[0]?.status).toBe('QUEUED');
    expect(clock).toBeGreaterThanOrEqual(WAIT_LIMIT_MS);
    expect(clock).toBeLessThan(WAIT_LIMIT_MS + WAIT_POLL_MS + 1);
    expect(fleet.asked).toBe(WAIT_LIMIT_MS / WAIT_POLL_MS + 1);
  });
});
