import type { IncomingMessage } from 'node:http';
import { badRequest, HttpError } from './http-errors.js';

/** The request bodies the dashboard takes are small: a few settings or a job. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * The request body as a JSON object. Only `application/json` is read: a plain HTML form cannot
 * send it across sites without a CORS preflight, one more wall behind the request guard.
 */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new HttpError(415, `Content-Type must be application/json, got ${type ? `"${type}"` : 'none'}`);
  }
  const text = await readText(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest(`request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * The whole body as UTF-8. Past the limit the rest is drained, not kept, so the connection stays
 * usable for the 413 (destroying the request would cut the answer too).
 */
function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_JSON_BODY_BYTES) chunks.push(chunk);
    });
    req.once('end', () => {
      if (size > MAX_JSON_BODY_BYTES)
        reject(new HttpError(413, `request body is over ${MAX_JSON_BODY_BYTES} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.once('error', reject);
  });
}
