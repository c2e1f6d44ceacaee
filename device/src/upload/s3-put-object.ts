import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { encodePath } from './sigv4/canonical-request.js';
import { type SigningCredentials, signRequest } from './sigv4/sign.js';

/**
 * One S3 PutObject over node:http(s), signed with Signature Version 4: what the device needs of
 * the S3 API, without the SDK (about 11 MB of resident memory on a 1 GB Pi). No retries: the
 * upload worker owns them. Failures are thrown in the shape classifyS3Error reads (an S3 error's
 * Code and HTTP status, a Node network error's code, TimeoutError, AbortError).
 */

export interface S3Location {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (`http://127.0.0.1:4568`). Unset = AWS over HTTPS. */
  endpoint?: string;
  /** `endpoint/bucket/key` instead of `bucket.host/key`. */
  forcePathStyle: boolean;
}

export interface PutObjectInput {
  key: string;
  body: Buffer;
  contentType: string;
  /** Base64 MD5 of the body: S3 refuses altered bytes with BadDigest. */
  contentMd5: string;
  /** Sent as x-amz-meta-{name}. */
  metadata?: Record<string, string>;
}

export interface PreparedRequest {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  path: string;
  headers: Record<string, string>;
  canonicalRequest: string;
}

/** Bucket names AWS serves as `{bucket}.s3.{region}.amazonaws.com` over TLS (no dots: the wildcard certificate covers one label). */
export function isVirtualHostable(bucket: string): boolean {
  return bucket.length >= 3 && bucket.length <= 63 && /^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(bucket);
}

/** Where the PUT goes and its signed headers. Pure: the differential test signs the same input with the SDK's signer. */
export function preparePutObject(
  location: S3Location,
  input: PutObjectInput,
  credentials: SigningCredentials,
  date: Date,
): PreparedRequest {
  const base = new URL(location.endpoint ?? `https://s3.${location.region}.amazonaws.com`);
  const pathStyle = location.forcePathStyle || !isVirtualHostable(location.bucket);
  const hostname = pathStyle ? base.hostname : `${location.bucket}.${base.hostname}`;
  const host = base.port ? `${hostname}:${base.port}` : hostname;
  const basePath = base.pathname.replace(/\/+$/, '');
  const path = encodePath(`${basePath}${pathStyle ? `/${location.bucket}` : ''}/${input.key}`);
  const headers: Record<string, string> = {
    host,
    'content-type': input.contentType,
    'content-length': String(input.body.length),
    'content-md5': input.contentMd5,
  };
  for (const [name, value] of Object.entries(input.metadata ?? {})) {
    headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  }
  const signed = signRequest({
    method: 'PUT',
    encodedPath: path,
    headers,
    body: input.body,
    region: location.region,
    service: 's3',
    credentials,
    date,
  });
  return {
    protocol: base.protocol === 'http:' ? 'http:' : 'https:',
    hostname: hostname.replace(/^\[|\]$/g, ''),
    port: base.port ? Number(base.port) : undefined,
    path,
    headers: signed.headers,
    canonicalRequest: signed.canonicalRequest,
  };
}

/** S3 answered with an error: its XML Code, Message and RequestId, and the HTTP status. */
export class S3ServiceError extends Error {
  readonly Code: string;
  readonly RequestId: string | undefined;
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId: string | undefined };

  constructor(details: { code: string; message: string; status: number; requestId?: string }) {
    super(details.message);
    // The name is S3's code, as the SDK's service exceptions have it.
    this.name = details.code;
    this.Code = details.code;
    this.RequestId = details.requestId;
    this.$fault = details.status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: details.status, requestId: details.requestId };
  }
}

/** The connect or the whole request took longer than allowed. */
export class S3RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** The caller's AbortSignal fired. */
export class S3RequestAbortedError extends Error {
  override readonly name = 'AbortError';
}

/** Error bodies are small XML documents; anything longer is cut here. */
const MAX_ERROR_BODY = 64 * 1024;

const STATUS_CODES: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  411: 'MissingContentLength',
  412: 'PreconditionFailed',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
};

function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!match?.[1]) return undefined;
  return match[1]
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** S3's `<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>`, or the status when the body says nothing. */
export function parseS3Error(
  status: number,
  body: string,
  headers: http.IncomingHttpHeaders,
): S3ServiceError {
  const headerRequestId = headers['x-amz-request-id'];
  const code = xmlText(body, 'Code') ?? STATUS_CODES[status] ?? `Http${status}`;
  const message = xmlText(body, 'Message') ?? (body.trim().slice(0, 200) || `HTTP ${status}`);
  const requestId =
    xmlText(body, 'RequestId') ?? (typeof headerRequestId === 'string' ? headerRequestId : undefined);
  return new S3ServiceError({ code, message, status, ...(requestId ? { requestId } : {}) });
}

export interface SendOptions {
  agent: http.Agent;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  signal?: AbortSignal;
}

/** Sends a prepared PUT; resolves with the ETag on 2xx, rejects otherwise. */
export function sendPutObject(
  prepared: PreparedRequest,
  body: Buffer,
  options: SendOptions,
): Promise<{ etag: string | undefined }> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new S3RequestAbortedError('upload aborted before it started'));
  return new Promise((resolve, reject) => {
    const transport = prepared.protocol === 'http:' ? http : https;
    const target = `${prepared.hostname}${prepared.path}`;
    const req = transport.request({
      method: 'PUT',
      protocol: prepared.protocol,
      hostname: prepared.hostname,
      port: prepared.port,
      path: prepared.path,
      headers: prepared.headers,
      agent: options.agent,
    });
    let connectTimer: NodeJS.Timeout | undefined;
    const requestTimer = setTimeout(() => {
      req.destroy(new S3RequestTimeoutError(`PUT ${target} took longer than ${options.requestTimeoutMs} ms`));
    }, options.requestTimeoutMs);
    const onAbort = () => req.destroy(new S3RequestAbortedError(`PUT ${target} aborted`));
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      clearTimeout(requestTimer);
      clearTimeout(connectTimer);
      signal?.removeEventListener('abort', onAbort);
    };

    req.on('socket', (socket: Socket) => {
      if (!socket.connecting) return; // a kept-alive socket
      connectTimer = setTimeout(() => {
        req.destroy(
          new S3RequestTimeoutError(
            `connecting to ${prepared.hostname} took longer than ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
      socket.once(prepared.protocol === 'https:' ? 'secureConnect' : 'connect', () =>
        clearTimeout(connectTimer),
      );
    });
    req.on('error', (error) => {
      finish();
      reject(error);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (status < 300 || size >= MAX_ERROR_BODY) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', (error) => {
        finish();
        reject(error);
      });
      res.on('end', () => {
        finish();
        if (status >= 200 && status < 300) {
          const etag = res.headers.etag;
          resolve({ etag: typeof etag === 'string' ? etag : undefined });
        } else {
          reject(
            parseS3Error(status, Buffer.concat(chunks).toString('utf8', 0, MAX_ERROR_BODY), res.headers),
          );
        }
      });
    });
    req.end(body);
  });
}
