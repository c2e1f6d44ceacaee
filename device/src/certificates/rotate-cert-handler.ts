import type { JobDocument, JobStatusDetails } from '@coffee-iot/shared';
import type { JobHandler, JobOutcome, JobRun } from '../jobs/job-handler.js';
import type { CertificateRotation, FinishedRotation } from './certificate-rotation.js';

export const ROTATE_CERT_OPERATION = 'rotate-cert';

/**
 * Checkpoint steps, each saved once its work is durable:
 *   issued   next/ holds the new key and its certificate (certificateId, previousCertificateId)
 *   reported the cloud was told to attach the new certificate
 *   switched the new pair is in place; only the outcome is left to wait for
 */
type Step = 'issued' | 'reported' | 'switched';

/**
 * The `rotate-cert` job: a new key made here (it never leaves the device), its certificate from
 * CreateCertificateFromCsr, an `issued` report so the cloud attaches it, the switch with a
 * reconnect, and SUCCEEDED only once the new certificate has connected (the cloud deactivates the
 * old one on the `connected` report sent with it). Resumed after a crash from its checkpoint; a
 * crash before `issued` starts the request again with the key already in next/.
 */
export class RotateCertHandler implements JobHandler {
  readonly operation = ROTATE_CERT_OPERATION;

  constructor(
    private readonly rotation: CertificateRotation,
    private readonly commonName: string,
  ) {}

  validate(document: JobDocument): string | null {
    const extra = Object.keys(document).filter((key) => key !== 'operation');
    return extra.length === 0 ? null : `rotate-cert takes no parameters, got ${extra.join(', ')}`;
  }

  async run(job: JobRun): Promise<JobOutcome> {
    const files = this.rotation.files;
    const step = job.checkpoint?.step as Step | undefined;
    let certificateId = job.checkpoint?.certificateId;
    let previousCertificateId = job.checkpoint?.previousCertificateId;

    const state = await this.rotation.currentState();
    // A crash after the switch but before its checkpoint: the files say how far it got.
    const switchedForThisJob =
      certificateId !== undefined &&
      (state?.phase === 'switched' || state?.phase === 'done') &&
      state.certificateId === certificateId;
    if (step === 'switched' || switchedForThisJob) return this.outcome(job);
    if (state?.phase === 'switched') {
      return failed('another certificate switch is still waiting for its first connection; try again later');
    }

    try {
      if (step === undefined || certificateId === undefined || previousCertificateId === undefined) {
        previousCertificateId = await files.currentCertificateId();
        const csrPem = await files.prepareNextKey(this.commonName);
        await job.progress({ phase: 'requesting' });
        const accepted = await this.rotation.requestCertificate(csrPem, job.signal);
        certificateId = await files.storeNextCertificate(accepted.certificatePem);
        await job.saveCheckpoint({ step: 'issued', certificateId, previousCertificateId });
      } else if ((await files.nextCertificateId()) !== certificateId) {
        return failed(`rotation/next/ no longer holds certificate ${certificateId}; run the job again`);
      }
      if (step !== 'reported') {
        await this.rotation.report({ phase: 'issued', certificateId, previousCertificateId });
        await job.saveCheckpoint({ step: 'reported', certificateId, previousCertificateId });
      }
      await job.progress({ phase: 'switching', certificateId });
      await this.rotation.switchAndReconnect();
      await job.saveCheckpoint({ step: 'switched', certificateId, previousCertificateId });
    } catch (error) {
      if (job.signal.aborted) throw error;
      // Nothing is in place yet: the current certificate is untouched, so failing is clean.
      return failed(`certificate not rotated: ${(error as Error).message}`);
    }
    return this.outcome(job);
  }

  private async outcome(job: JobRun): Promise<JobOutcome> {
    const finished = await this.rotation.waitForOutcome(job.signal);
    return outcomeOf(finished);
  }
}

function failed(reason: string): JobOutcome {
  return { status: 'FAILED', details: { reason } };
}

function outcomeOf(state: FinishedRotation): JobOutcome {
  const details: JobStatusDetails = {
    certificateId: state.certificateId,
    previousCertificateId: state.previousCertificateId,
  };
  if (state.outcome === 'connected') return { status: 'SUCCEEDED', details };
  return {
    status: 'FAILED',
    details: { ...details, reason: state.reason ?? 'the previous certificate was restored' },
  };
}
