import type { ShadowDocument } from '@coffee-iot/shared';
import type { DeviceConfigView, DeviceControl } from '../dashboard/device-control.js';
import type { JobsService } from './jobs-service.js';
import type { ShadowService } from './shadow-service.js';

/** The dashboard's and CLI's DeviceControl over the local shadow and jobs services. */
export function iotCoreControl(shadows: ShadowService, jobs: JobsService): DeviceControl {
  return {
    getConfig: async (thingName) => configView(thingName, await shadows.getDocument(thingName)),
    setDesiredConfig: async (thingName, values) =>
      configView(thingName, await shadows.setDesired(thingName, values)),
    listJobs: async () => jobs.listJobs(),
    createJob: (request) => jobs.createJob(request),
    describeJob: async (jobId) => jobs.describeJob(jobId),
  };
}

function configView(thingName: string, document: ShadowDocument | null): DeviceConfigView {
  return {
    thingName,
    desired: document?.state.desired ?? {},
    reported: document?.state.reported ?? {},
    delta: document?.state.delta ?? {},
    metadata: document?.metadata ?? {},
    version: document?.version ?? 0,
    timestamp: document?.timestamp ?? null,
  };
}
