import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@coffee-iot/device';
import { FleetUnavailableError, PressNotRecordedError } from '../fleet/fleet-errors.js';
import { parseDeviceId, parsePhotoKey } from './api-params.js';
import { type DashboardSource, UnknownDeviceError } from './dashboard-source.js';
import type { DeviceControl } from './device-control.js';
import { HttpError, notFound } from './http-errors.js';
import { sendJson } from './responses.js';
import type { SseHub } from './sse-hub.js';

export interface ApiContext {
  source: DashboardSource;
  hub: SseHub;
  logger: Logger;
  /** Device configuration and jobs (local stack only); absent, those routes answer 404. */
  control?: DeviceControl;
}

/** Path captures from the route pattern, still percent-encoded. */
export type ApiHandler = (
  context: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  captures: readonly string[],
) => Promise<void> | void;

export const getSnapshot: ApiHandler = async ({ source }, _req, res) => {
  sendJson(res, 200, await source.snapshot());
};

export const openEventStream: ApiHandler = ({ hub }, req, res) => {
  hub.attach(req, res);
};

export const getPhoto: ApiHandler = async ({ source }, _req, res, [encodedKey = '']) => {
  const photoKey = parsePhotoKey(encodedKey);
  const photo = await source.readPhoto(photoKey);
  if (!photo) throw notFound(`no photo "${photoKey}"`);
  res.writeHead(200, {
    'Content-Type': photo.contentType,
    'Content-Length': photo.body.byteLength,
    // Photos never change under a key; private because they show people's faces.
    'Cache-Control': 'private, max-age=3600',
  });
  res.end(photo.body);
};

export const pressButton: ApiHandler = async ({ source, logger }, _req, res, [encodedId = '']) => {
  const deviceId = parseDeviceId(encodedId);
  if (!source.press) throw notFound('pressing is only available in the local stack');
  try {
    await source.press(deviceId);
  } catch (error) {
    if (error instanceof UnknownDeviceError) throw notFound(error.message);
    if (error instanceof FleetUnavailableError) {
      const retry = error.retryAfterSeconds;
      throw new HttpError(503, error.message, retry === null ? {} : { 'Retry-After': String(retry) });
    }
    // The device's own answer: 507 when its disk is full, 503 for other storage failures.
    if (error instanceof PressNotRecordedError) throw new HttpError(error.status, error.message);
    throw error;
  }
  logger.info({ deviceId }, 'dashboard pressed coffee button');
  sendJson(res, 202, { pressed: deviceId });
};
