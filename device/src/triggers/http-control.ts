import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Press, PressListener, PressTrigger } from '../button/button-port.js';
import { PressListeners } from '../button/press-listeners.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/** Loopback only, and not configurable: the port has no authentication. */
export const HTTP_CONTROL_HOST = '127.0.0.1';

export interface HttpControlOptions {
  logger: Logger;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one — read it back from `port`. */
  port?: number;
  clock?: Clock;
}

/** How a press handler answers `POST /press` (status and JSON body). */
export interface HttpPressAnswer {
  status: number;
  body: Record<string, unknown>;
}

export type HttpPressHandler = (press: Press<'http'>) => HttpPressAnswer;

export class HttpControlError extends Error {
  override readonly name = 'HttpControlError';
}

/**
 * Mock mode's remote button: `POST /press` on 127.0.0.1 is a press (source 'http'), answered
 * 202 `{"accepted":true}` — accepted for the capture flow, which may still ignore it during a
 * running capture. `GET /health` answers 200. Anything else is 404 or 405, with a JSON error.
 *
 * Binding to loopback keeps the network out; two checks keep web pages out too: a request with
 * an `Origin` header (a browser's cross-site fetch or form post) is refused with 403, and the
 * `Host` header must name the loopback address or localhost (DNS rebinding).
 *
 * With a handler from `answerPresses`, the handler answers instead: the coffee flow says 202
 * only once the press is on disk, and an error status when it cannot be recorded.
 */
export class HttpControl implements PressTrigger<'http'> {
  readonly name = 'http';
  private readonly listeners: PressListeners<'http'>;
  private readonly clock: Clock;
  private readonly requestedPort: number;
  private server: Server | undefined;
  private boundPort: number | undefined;
  private handler: HttpPressHandler | undefined;

  constructor(private readonly options: HttpControlOptions) {
    this.requestedPort = options.port ?? 0;
    if (!(Number.isInteger(this.requestedPort) && this.requestedPort >= 0 && this.requestedPort <= 65535)) {
      throw new HttpControlError(`control port must be an integer from 0 to 65535 (got ${options.port})`);
    }
    this.clock = options.clock ?? systemClock;
    this.listeners = new PressListeners('http', options.logger);
  }

  onPress(listener: PressListener<'http'>): () => void {
    return this.listeners.add(listener);
  }

  /** Lets `handler` answer each press (and take it) instead of 202 + the press listeners. */
  answerPresses(handler: HttpPressHandler): () => void {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }

  /** The port actually bound (the ephemeral one when configured as 0). Throws before start(). */
  get port(): number {
    if (this.boundPort === undefined) throw new HttpControlError('HTTP control is not started');
    return this.boundPort;
  }

  get url(): string {
    return `http://${HTTP_CONTROL_HOST}:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => this.route(request, response));
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      const onError = (cause: Error) => {
        reject(
          new HttpControlError(
            `cannot listen on ${HTTP_CONTROL_HOST}:${this.requestedPort}: ${cause.message}` +
              ((cause as NodeJS.ErrnoException).code === 'EADDRINUSE'
                ? ' (port in use: choose another, or 0)'
                : ''),
            { cause },
          ),
        );
      };
      server.once('error', onError);
      server.listen(this.requestedPort, HTTP_CONTROL_HOST, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => this.options.logger.error({ err: error }, 'HTTP control server failed'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.options.logger.info({ url: this.url }, 'HTTP control listening: POST /press takes a photo');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundPort = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets would hold close() open until they time out.
    server.closeAllConnections();
    await closed;
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    // The body is never needed; drain it so the connection can be reused.
    request.resume();
    const answer = this.answer(request);
    if (answer.allow) response.setHeader('Allow', answer.allow);
    const handler = this.handler;
    if (answer.press && handler) {
      const answered = this.handled(handler, answer.press);
      reply(response, answered.status, answered.body);
      return;
    }
    reply(response, answer.status, answer.body);
    if (answer.press) {
      this.options.logger.debug({ atMs: answer.press.atMs }, 'press via HTTP control');
      this.listeners.emit(answer.press);
    }
  }

  private handled(handler: HttpPressHandler, press: Press<'http'>): HttpPressAnswer {
    this.options.logger.debug({ atMs: press.atMs }, 'press via HTTP control');
    try {
      return handler(press);
    } catch (error) {
      this.options.logger.error({ err: error }, 'press handler failed');
      return {
        status: 503,
        body: { accepted: false, error: `the press could not be handled: ${String(error)}` },
      };
    }
  }

  private answer(request: IncomingMessage): Answer {
    if (request.headers.origin !== undefined) {
      return { status: 403, body: { error: 'cross-origin requests are not accepted' } };
    }
    if (!this.isLoopbackHost(request.headers.host)) {
      return { status: 403, body: { error: 'Host must be 127.0.0.1 or localhost' } };
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const method = request.method ?? 'GET';
    if (path === '/press') {
      if (method !== 'POST') return notAllowed('POST');
      return { status: 202, body: { accepted: true }, press: { atMs: this.clock.now(), source: 'http' } };
    }
    if (path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed('GET, HEAD');
      return { status: 200, body: { ok: true } };
    }
    return { status: 404, body: { error: `no such endpoint: ${path}` } };
  }

  private isLoopbackHost(host: string | undefined): boolean {
    if (host === undefined) return true; // HTTP/1.0 clients such as `nc`
    const port = this.boundPort;
    return [`127.0.0.1:${port}`, `localhost:${port}`].includes(host.toLowerCase());
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  allow?: string;
  press?: Press<'http'>;
}

function notAllowed(allow: string): Answer {
  return { status: 405, body: { error: `method not allowed; use ${allow}` }, allow };
}

function reply(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}
