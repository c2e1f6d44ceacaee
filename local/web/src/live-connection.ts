// Keeps the page in step with the server: the live event stream, plus a fresh snapshot each time
// the stream (re)opens, because events sent while it was down are not replayed by the server.
import type { DashboardSnapshot } from './api.js';
import { DASHBOARD_EVENT_NAMES } from './api.js';
import { type DashboardEvent, decodeEvent, isDashboardEventName } from './events.js';

export type ConnectionState = 'live' | 'reconnecting';

/** The part of the browser's EventSource this uses, so tests can pass a fake. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

/** EventSource.CLOSED; spelled out because there is no EventSource outside the browser. */
const CLOSED = 2;

export interface LiveConnectionOptions {
  eventsUrl: string;
  createEventSource(url: string): EventSourceLike;
  fetchSnapshot(): Promise<DashboardSnapshot>;
  setTimer(callback: () => void, ms: number): number;
  clearTimer(handle: number): void;
  /** Wait before retrying a failed snapshot or reopening a stream the browser gave up on. */
  retryMs: number;
}

export interface LiveConnectionHandlers {
  onConnectionState(state: ConnectionState): void;
  onSnapshot(snapshot: DashboardSnapshot): void;
  onEvent(event: DashboardEvent): void;
  /** Something went wrong that the connection retries by itself; the page just says so. */
  onProblem(message: string, cause: unknown): void;
}

export class LiveConnection {
  private source: EventSourceLike | null = null;
  private timer: number | null = null;
  /** Events received while a snapshot is on its way; replayed on top of it. */
  private buffer: DashboardEvent[] | null = [];
  /** Bumped on every snapshot request so an answer to an older one is ignored. */
  private generation = 0;
  private stopped = true;

  constructor(
    private readonly options: LiveConnectionOptions,
    private readonly handlers: LiveConnectionHandlers,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.source?.close();
    this.source = null;
    if (this.timer !== null) this.options.clearTimer(this.timer);
    this.timer = null;
  }

  private open(): void {
    this.handlers.onConnectionState('reconnecting');
    const source = this.options.createEventSource(this.options.eventsUrl);
    this.source = source;
    source.addEventListener('open', () => {
      if (this.source !== source) return;
      this.handlers.onConnectionState('live');
      void this.loadSnapshot();
    });
    source.addEventListener('error', () => {
      if (this.source !== source) return;
      this.handlers.onConnectionState('reconnecting');
      // The browser retries by itself while CONNECTING; once CLOSED (e.g. the server answered
      // with an error status) it has given up, so open a new stream after a pause.
      if (source.readyState === CLOSED) {
        source.close();
        this.source = null;
        this.retry(() => this.open());
      }
    });
    for (const name of DASHBOARD_EVENT_NAMES) {
      source.addEventListener(name, (event) => {
        if (this.source === source) this.receive(name, event);
      });
    }
  }

  private receive(name: string, event: Event): void {
    if (!isDashboardEventName(name) || typeof (event as MessageEvent).data !== 'string') return;
    let decoded: DashboardEvent;
    try {
      decoded = decodeEvent(name, (event as MessageEvent<string>).data);
    } catch (error) {
      this.handlers.onProblem(`could not read a "${name}" event`, error);
      return;
    }
    if (this.buffer) this.buffer.push(decoded);
    else this.handlers.onEvent(decoded);
  }

  private async loadSnapshot(): Promise<void> {
    const generation = ++this.generation;
    // Anything received before this request is already in the snapshot; only what arrives while
    // it is on its way must be replayed (applying an event twice is harmless, missing one is not).
    this.buffer = [];
    let snapshot: DashboardSnapshot;
    try {
      snapshot = await this.options.fetchSnapshot();
    } catch (error) {
      if (generation !== this.generation) return;
      this.handlers.onProblem('could not load the dashboard snapshot; retrying', error);
      this.retry(() => {
        if (this.source !== null && this.source.readyState !== CLOSED) void this.loadSnapshot();
      });
      return;
    }
    if (generation !== this.generation) return;
    const buffered = this.buffer ?? [];
    this.buffer = null;
    this.handlers.onSnapshot(snapshot);
    for (const event of buffered) this.handlers.onEvent(event);
  }

  private retry(action: () => void): void {
    if (this.stopped) return;
    if (this.timer !== null) this.options.clearTimer(this.timer);
    this.timer = this.options.setTimer(() => {
      this.timer = null;
      if (!this.stopped) action();
    }, this.options.retryMs);
  }
}
