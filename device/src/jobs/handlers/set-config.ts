import type { JobDocument } from '@coffee-iot/shared';
import type { LiveConfigApplier } from '../../remote-config/live-config-port.js';
import type { JobHandler, JobOutcome, JobRun } from '../job-handler.js';

/**
 * `set-config`: `{"operation":"set-config","config":{"batchSeconds":10}}`. The applier checks each
 * key with the agent's config schema, applies it live and persists it; a refused key fails the
 * job with the reasons (the accepted ones stay applied, and are reported too).
 */
export class SetConfigHandler implements JobHandler {
  readonly operation = 'set-config';

  constructor(private readonly applier: LiveConfigApplier) {}

  validate(document: JobDocument): string | null {
    const { config } = document;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      return 'set-config needs "config": an object of agent.json keys and values';
    }
    if (Object.keys(config).length === 0) return 'set-config: "config" names no key';
    return null;
  }

  async run(job: JobRun): Promise<JobOutcome> {
    // Applying is idempotent (the same values again), so a resumed job simply applies again.
    const result = await this.applier.apply(job.document.config as Record<string, unknown>, 'job');
    const details: Record<string, string> = {};
    if (Object.keys(result.applied).length > 0) details.applied = JSON.stringify(result.applied);
    if (Object.keys(result.pendingRestart).length > 0) {
      details.pendingRestart = JSON.stringify(result.pendingRestart);
    }
    const refused = Object.entries(result.refused);
    if (refused.length > 0) {
      details.refused = JSON.stringify(result.refused);
      details.reason = refused.map(([key, why]) => `${key}: ${why}`).join('; ');
      return { status: 'FAILED', details };
    }
    return { status: 'SUCCEEDED', details };
  }
}
