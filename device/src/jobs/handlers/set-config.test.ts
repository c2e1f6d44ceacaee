import { describe, expect, it } from 'vitest';
import type { ConfigChangeResult, LiveConfigApplier } from '../../remote-config/live-config-port.js';
import { fakeJobRun } from '../../testing/jobs/fake-job-run.js';
import { SetConfigHandler } from './set-config.js';

class FakeApplier implements LiveConfigApplier {
  readonly calls: { changes: Record<string, unknown>; source: string }[] = [];
  constructor(private readonly result: ConfigChangeResult) {}
  async apply(
    changes: Readonly<Record<string, unknown>>,
    source: 'shadow' | 'job',
  ): Promise<ConfigChangeResult> {
    this.calls.push({ changes: { ...changes }, source });
    return this.result;
  }
}

describe('set-config', () => {
  it('applies the changes as a job and succeeds with what was applied', async () => {
    const applier = new FakeApplier({ applied: { batchSeconds: 10 }, refused: {}, pendingRestart: {} });
    const outcome = await new SetConfigHandler(applier).run(
      fakeJobRun({ operation: 'set-config', config: { batchSeconds: 10 } }),
    );
    expect(applier.calls).toEqual([{ changes: { batchSeconds: 10 }, source: 'job' }]);
    expect(outcome).toEqual({ status: 'SUCCEEDED', details: { applied: '{"batchSeconds":10}' } });
  });

  it('fails with every refused key and its reason, still reporting what was applied', async () => {
    const applier = new FakeApplier({
      applied: { logLevel: 'debug' },
      refused: { intervalMs: 'must be 100-3600000', endpoint: 'not changeable remotely' },
      pendingRestart: {},
    });
    const outcome = await new SetConfigHandler(applier).run(
      fakeJobRun({ operation: 'set-config', config: { logLevel: 'debug', intervalMs: 5, endpoint: 'x' } }),
    );
    expect(outcome.status).toBe('FAILED');
    expect(outcome.details.reason).toBe('intervalMs: must be 100-3600000; endpoint: not changeable remotely');
    expect(outcome.details.applied).toBe('{"logLevel":"debug"}');
  });

  it('reports keys that wait for a restart', async () => {
    const applier = new FakeApplier({ applied: {}, refused: {}, pendingRestart: { transport: 'aws-crt' } });
    const outcome = await new SetConfigHandler(applier).run(
      fakeJobRun({ operation: 'set-config', config: { transport: 'aws-crt' } }),
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', details: { pendingRestart: '{"transport":"aws-crt"}' } });
  });

  it('rejects a document without a config object', () => {
    const handler = new SetConfigHandler(new FakeApplier({ applied: {}, refused: {}, pendingRestart: {} }));
    expect(handler.validate({ operation: 'set-config' })).toMatch(/needs "config"/);
    expect(handler.validate({ operation: 'set-config', config: [] })).toMatch(/needs "config"/);
    expect(handler.validate({ operation: 'set-config', config: {} })).toMatch(/names no key/);
    expect(handler.validate({ operation: 'set-config', config: { batchSeconds: 10 } })).toBeNull();
  });
});
