import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, systemTimers, type Timers } from '@coffee-iot/device';
import type { ApiContext } from './api-handlers.js';
import type { DashboardSource } from './dashboard-source.js';
import type { DeviceControl } from './device-control.js';
import { HttpError, notFound } from './http-errors.js';
import { type GuardedHeader, type GuardRefusal, RequestGuard } from './request-guard.js';
import { requestPath } from './request-path.js';
import { applySecurityHeaders, sendJson, sendText } from './responses.js';
import { isApiPath, routeApiRequest } from './routes.js';
import { SseHub } from './sse-hub.js';
import { StaticFiles, type StaticRoot } from './static-files.js';

export interface DashboardServerOptions {
  /** Where snapshots, live events, photos and presses come from. */
  source: DashboardSource;
  /** Device configuration and jobs (local stack only): the config panel, the job list, Photo now. */
  control?: DeviceControl;
  /** The page and its assets; the longest matching prefix owns a path. */
  staticRoots: readonly StaticRoot[];
  logger: Logger;
  /** Interval of the `: heartbeat` comment on event streams (default 15 s). */
  heartbeatMs?: number;
  /** Drives the heartbeat; tests may inject their own (default: the global timers). */
  timers?: Timers;
  /** Unsent bytes a slow event-stream client may build up before it is dropped (default 1 MiB). */
  maxClientBufferBytes?: number;
}

export interface DashboardServer {
  /** Starts listening; port 0 picks a free port, reported in the result. */
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  /** Ends event streams and drops every connection, so it resolves even while browsers are attached. */
  close(): Promise<void>;
  /** Open event streams. */
  clients(): number;
  /** Requests refused since start for a foreign Host, Origin or Sec-Fetch-Site (see RequestGuard). */
  refusedRequests(): Readonly<Record<GuardedHeader, number>>;
}

const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_MAX_CLIENT_BUFFER_BYTES = 1024 * 1024;

/** The dashboard's HTTP server: the JSON/SSE API under `/api` and the page's static files. */
export function createDashboardServer(options: DashboardServerOptions): DashboardServer {
  const logger = options.logger.child({ component: 'dashboard' });
  const staticFiles = new StaticFiles(options.staticRoots);
  const hub = new SseHub({
    source: options.source,
    logger,
    heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    timers: options.timers ?? systemTimers,
    maxBufferedBytes: options.maxClientBufferBytes ?? DEFAULT_MAX_CLIENT_BUFFER_BYTES,
  });
  const context: ApiContext = {
    source: options.source,
    hub,
    logger,
    ...(options.control === undefined ? {} : { control: options.control }),
  };
  const refused: Record<GuardedHeader, number> = { Host: 0, Origin: 0, 'Sec-Fetch-Site': 0 };
  // Known once listening: the Host and Origin a request must carry include the bound port.
  let guard: RequestGuard | undefined;

  const server = createServer((req, res) => {
    const refusal = guard?.check(req) ?? (guard ? undefined : NOT_LISTENING);
    if (refusal) {
      refused[refusal.header] += 1;
      refuse(logger, req, res, refusal, refused[refusal.header]);
      return;
    }
    handleRequest(context, staticFiles, req, res).catch((error: unknown) => {
      // Only reachable if answering the error itself failed; the connection is all we can drop.
      logger.error({ err: error, method: req.method, url: req.url }, 'dashboard could not answer request');
      res.destroy();
    });
  });

  return {
    listen: async (port, host = '127.0.0.1') => {
      const address = await listen(server, port, host, logger);
      guard = new RequestGuard(host, address.port);
      return address;
    },
    close: async () => {
      hub.closeAll();
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error && !isNotRunning(error) ? reject(error) : resolve()));
      });
      // close() alone waits for keep-alive and in-flight connections; a shutdown must not.
      server.closeAllConnections();
      await closed;
    },
    clients: () => hub.clients(),
    refusedRequests: () => ({ ...refused }),
  };
}

/**
 * The page reads /config.json to tell AWS (the deploy writes one) from the local stack. Answering
 * 204 instead of 404 says "local" without the browser logging a failed request on every load.
 */
const AWS_CONFIG_PATH = '/config.json';

function answerNoAwsConfig(res: ServerResponse): void {
  res.writeHead(204, { 'Cache-Control': 'no-store' });
  res.end();
}

/** Only reachable in the instant between listening and knowing the port. */
const NOT_LISTENING: GuardRefusal = { header: 'Host', message: 'dashboard is not listening yet' };

/** A 403 in JSON for every path (the page's own requests are API calls), logged and counted. */
function refuse(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  refusal: GuardRefusal,
  count: number,
): void {
  // The body, if any, is not wanted; drain it so the connection can be reused.
  req.resume();
  applySecurityHeaders(res);
  logger.warn(
    {
      method: req.method,
      url: req.url,
      header: refusal.header,
      value: req.headers[refusal.header.toLowerCase()],
      refused: count,
    },
    `dashboard refused a request: ${refusal.message}`,
  );
  sendJson(res, 403, { error: refusal.message, header: refusal.header });
}

async function handleRequest(
  context: ApiContext,
  staticFiles: StaticFiles,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  applySecurityHeaders(res);
  context.logger.debug({ method: req.method, url: req.url }, 'dashboard request');
  let api = false;
  try {
    const path = requestPath(req);
    api = isApiPath(path);
    if (api) await routeApiRequest(context, req, res, path);
    else if (path === AWS_CONFIG_PATH) answerNoAwsConfig(res);
    else if (!(await staticFiles.serve(req, res, path))) throw notFound(`no file at ${path}`);
  } catch (error) {
    respondWithError(context.logger, req, res, error, api);
  }
}

/** Refusals go back as they are; anything else is a bug or an outage, logged and answered with 500. */
function respondWithError(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  api: boolean,
): void {
  const httpError =
    error instanceof HttpError
      ? error
      : new HttpError(500, error instanceof Error ? error.message : String(error));
  if (!(error instanceof HttpError)) {
    logger.error({ err: error, method: req.method, url: req.url }, 'dashboard request failed');
  }
  if (res.headersSent) {
    // Too late for a status; cut the response so the client sees it broke rather than a short body.
    res.destroy();
    return;
  }
  if (api) sendJson(res, httpError.status, { error: httpError.message }, httpError.headers);
  else sendText(res, httpError.status, `${httpError.message}\n`, httpError.headers);
}

function listen(
  server: ReturnType<typeof createServer>,
  port: number,
  host: string,
  logger: Logger,
): Promise<{ port: number; url: string }> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // From now on errors are the running server's; a listen failure went to the caller above.
      server.on('error', (error) => logger.error({ err: error }, 'dashboard server error'));
      const bound = (server.address() as AddressInfo).port;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
      logger.info({ url }, 'dashboard listening');
      resolve({ port: bound, url });
    });
  });
}

/** close() on a server that never listened is not a failure of shutting down. */
function isNotRunning(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'ERR_SERVER_NOT_RUNNING';
}
