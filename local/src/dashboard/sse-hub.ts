import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, TimerHandle, Timers } from '@coffee-iot/device';
import type { DashboardEventName, DashboardEvents } from './api-types.js';
import type { DashboardSource } from './dashboard-source.js';

export interface SseHubOptions {
  source: DashboardSource;
  logger: Logger;
  /** A comment line this often keeps proxies and NAT from closing an idle stream. */
  heartbeatMs: number;
  timers: Timers;
  /** A client whose unsent output passes this is dropped rather than buffered without bound. */
  maxBufferedBytes: number;
}

/** How long the browser's EventSource waits before reconnecting after the stream ends. */
const RETRY_MS = 2000;
const HEARTBEAT_FRAME = ': heartbeat\n\n';

/**
 * Fans the source's live events out to every open `GET /api/events` stream.
 *
 * The hub holds ONE subscription to the source, taken when the first client arrives and
 * released when the last one leaves (and on close), so an idle dashboard costs the source
 * nothing and each event is serialised once however many browsers watch. One heartbeat timer
 * likewise serves all clients and runs only while there are any.
 */
export class SseHub {
  private readonly streams = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: TimerHandle | undefined;
  private slowClientsDropped = 0;

  constructor(private readonly options: SseHubOptions) {}

  clients(): number {
    return this.streams.size;
  }

  /** Turns the response into an event stream that lives until the client or the hub closes it. */
  attach(req: IncomingMessage, res: ServerResponse): void {
    // The client may have gone while the request was routed; its 'close' would never come.
    if (req.socket.destroyed) return;
    // Subscribe before answering: if the source refuses, the client still gets a proper 500.
    if (this.streams.size === 0) this.start();
    this.streams.add(res);
    res.on('close', () => this.detach(res));
    res.on('error', (error) => this.options.logger.debug({ err: error }, 'dashboard event stream error'));
    // An event stream is idle for long stretches by design; no socket timeout may cut it.
    req.socket.setTimeout(0);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // nginx and similar would otherwise hold events back to fill their buffers.
      'X-Accel-Buffering': 'no',
    });
    this.send(res, `retry: ${RETRY_MS}\n\n`);
  }

  /** Ends every stream and lets go of the source; the browsers will reconnect elsewhere or later. */
  closeAll(): void {
    for (const res of [...this.streams]) {
      this.detach(res);
      res.end();
    }
  }

  private start(): void {
    this.unsubscribe = this.options.source.subscribe((name, data) => this.broadcast(name, data));
    this.scheduleHeartbeat();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.heartbeat !== undefined) this.options.timers.clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
  }

  private detach(res: ServerResponse): void {
    if (!this.streams.delete(res)) return;
    if (this.streams.size === 0) this.stop();
  }

  /** Called by the source; it must never throw back into it, whatever a client or the data does. */
  private broadcast<K extends DashboardEventName>(name: K, data: DashboardEvents[K]): void {
    let frame: string;
    try {
      frame = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    } catch (error) {
      this.options.logger.error({ err: error, event: name }, 'dashboard event not serialisable, not sent');
      return;
    }
    for (const res of [...this.streams]) this.send(res, frame);
  }

  private scheduleHeartbeat(): void {
    this.heartbeat = this.options.timers.setTimeout(() => {
      for (const res of [...this.streams]) this.send(res, HEARTBEAT_FRAME);
      if (this.streams.size > 0) this.scheduleHeartbeat();
    }, this.options.heartbeatMs);
  }

  /**
   * Writes one frame, dropping a client that cannot keep up: once the socket refuses more and
   * the backlog passes the limit, the stream is destroyed at once (ending it would keep the
   * backlog in memory until the client drained it). Its EventSource reconnects and the page
   * re-fetches the snapshot, so nothing is lost for good.
   */
  private send(res: ServerResponse, frame: string): void {
    if (res.write(frame) || res.writableLength <= this.options.maxBufferedBytes) return;
    this.slowClientsDropped += 1;
    this.options.logger.warn(
      {
        bufferedBytes: res.writableLength,
        maxBufferedBytes: this.options.maxBufferedBytes,
        slowClientsDropped: this.slowClientsDropped,
      },
      'dashboard client too slow, disconnected',
    );
    this.detach(res);
    res.destroy();
  }
}
