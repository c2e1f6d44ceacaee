import { JobExistsError, JobInputError, UnknownJobError } from '../iot-core/jobs-errors.js';
import { ShadowUpdateRejectedError } from '../iot-core/shadow-service.js';
import type { ApiContext, ApiHandler } from './api-handlers.js';
import { parseDeviceId } from './api-params.js';
import { parseCreateJob, parseDesiredConfig, parseJobId } from './control-params.js';
import type { DeviceControl } from './device-control.js';
import { badRequest, HttpError, notFound } from './http-errors.js';
import { readJsonObject } from './json-body.js';
import { sendJson } from './responses.js';

function controlOf(context: ApiContext): DeviceControl {
  if (!context.control) throw notFound('device configuration and jobs are only available in the local stack');
  return context.control;
}

/** Domain refusals become the status that tells the client what to fix; the rest stays a 500. */
function asHttpError(error: unknown): unknown {
  if (error instanceof JobInputError) return badRequest(error.message);
  if (error instanceof JobExistsError) return new HttpError(409, error.message);
  if (error instanceof UnknownJobError) return notFound(error.message);
  if (error instanceof ShadowUpdateRejectedError) {
    const { code } = error.response;
    return new HttpError(code >= 400 && code < 500 ? code : 502, error.message);
  }
  return error;
}

export const getDeviceConfig: ApiHandler = async (context, _req, res, [encodedId = '']) => {
  const thing = parseDeviceId(encodedId);
  sendJson(res, 200, await controlOf(context).getConfig(thing));
};

export const putDeviceConfig: ApiHandler = async (context, req, res, [encodedId = '']) => {
  const thing = parseDeviceId(encodedId);
  const control = controlOf(context);
  const values = parseDesiredConfig(await readJsonObject(req));
  try {
    const view = await control.setDesiredConfig(thing, values);
    context.logger.info({ thing, desired: values, version: view.version }, 'dashboard set desired config');
    sendJson(res, 200, view);
  } catch (error) {
    throw asHttpError(error);
  }
};

export const listJobs: ApiHandler = async (context, _req, res) => {
  sendJson(res, 200, { jobs: await controlOf(context).listJobs() });
};

export const createJob: ApiHandler = async (context, req, res) => {
  const control = controlOf(context);
  const request = parseCreateJob(await readJsonObject(req));
  try {
    const job = await control.createJob(request);
    context.logger.info(
      { jobId: job.jobId, operation: job.operation, targets: job.targets },
      'dashboard created a job',
    );
    sendJson(res, 201, job, { Location: `/api/jobs/${encodeURIComponent(job.jobId)}` });
  } catch (error) {
    throw asHttpError(error);
  }
};

export const getJob: ApiHandler = async (context, _req, res, [encodedId = '']) => {
  const jobId = parseJobId(encodedId);
  try {
    sendJson(res, 200, await controlOf(context).describeJob(jobId));
  } catch (error) {
    throw asHttpError(error);
  }
};
