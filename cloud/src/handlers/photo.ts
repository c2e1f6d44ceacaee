import type { Context, S3Event } from 'aws-lambda';
import { createCloudLogger } from '../logging/logger.js';
import { createAwsPhotoPipeline } from '../photos/aws-photo-pipeline.js';
import { handlePhotoEvent, type PhotoEventSummary } from '../photos/handle-photo-event.js';
import { readPhotoHandlerConfig } from '../photos/photo-handler-config.js';
import type { PhotoPipelineDeps } from '../photos/process-photos.js';
import { forInvocation } from '../photos/resume-retry.js';

const logger = createCloudLogger('coffee-iot-photo');
// The environment is checked when the container starts, so a misconfigured deploy fails at once,
// naming every bad variable, rather than on the first photo.
const config = readPhotoHandlerConfig(process.env);
let pipeline: Promise<PhotoPipelineDeps> | undefined;

/**
 * S3 ObjectCreated on photos/ → Rekognition → Aurora + ingest stream. Throws to have Lambda retry.
 * A database resuming from auto-pause is waited out within this invocation's remaining time.
 */
export async function handler(
  event: S3Event,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<PhotoEventSummary> {
  pipeline ??= createAwsPhotoPipeline(config, logger).catch((error: unknown) => {
    // Do not cache a failed start (e.g. Secrets Manager throttled): the next invocation tries again.
    pipeline = undefined;
    throw error;
  });
  const deps = await pipeline;
  return handlePhotoEvent(event, forInvocation(deps, { remainingMs: context.getRemainingTimeInMillis() }));
}
