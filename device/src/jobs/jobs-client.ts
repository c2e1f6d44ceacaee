import { randomUUID } from 'node:crypto';
import {
  type JobExecution,
  type JobsErrorResponse,
  type JobsTopics,
  jobsTopics,
  type NextJobExecutionChanged,
  type StartNextAccepted,
  type UpdateJobExecutionAccepted,
  type UpdateJobExecutionRequest,
} from '@coffee-iot/shared';
import type { Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ConnectionContext } from '../remote/connection-service.js';
import type { InboundMessage } from '../transport/transport-port.js';

/** The jobs service answered on a `rejected` topic; `code` is AWS's (VersionMismatch…). */
export class JobsRequestRejectedError extends Error {
  override readonly name = 'JobsRequestRejectedError';
  constructor(
    readonly response: JobsErrorResponse,
    what: string,
  ) {
    super(`${what} rejected by the jobs service: ${response.code}: ${response.message}`);
  }
}

/** No answer in time, or the connection ended first: the request may or may not have been applied. */
export class JobsRequestUnansweredError extends Error {
  override readonly name = 'JobsRequestUnansweredError';
}

export interface DescribeAccepted {
  execution?: JobExecution;
  timestamp: number;
  clientToken?: string;
}

interface Pending {
  /** The answer topics' stem, e.g. `$aws/things/T/jobs/start-next`. */
  readonly stem: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Requests and answers of the jobs device MQTT API on one connection: each request carries a
 * clientToken and is settled by the accepted or rejected answer carrying it (or, from a service
 * that does not echo tokens, the oldest request waiting on that topic).
 */
export class JobsClient {
  readonly topics: JobsTopics;
  private readonly pending = new Map<string, Pending>();

  constructor(
    thingName: string,
    private readonly connection: ConnectionContext,
    private readonly options: {
      timers: Timers;
      logger: Logger;
      answerTimeoutMs: number;
      onNotifyNext(message: NextJobExecutionChanged): void;
    },
  ) {
    this.topics = jobsTopics(thingName);
    connection.signal.addEventListener('abort', () => {
      for (const [token, entry] of this.pending) {
        this.pending.delete(token);
        entry.reject(new JobsRequestUnansweredError('the connection ended before the jobs service answered'));
      }
    });
  }

  /** Subscribes to notify-next and every answer topic this client waits on. */
  async subscribe(): Promise<void> {
    const base = this.topics.all.slice(0, -2);
    const onAnswer = (message: InboundMessage) => this.answer(message);
    await this.connection.subscribe(this.topics.notifyNext, (message) => {
      const parsed = parse<NextJobExecutionChanged>(message);
      if (parsed) this.options.onNotifyNext(parsed);
      else this.options.logger.warn({ topic: message.topic }, 'unreadable notify-next message ignored');
    });
    await this.connection.subscribe(`${this.topics.startNext}/+`, onAnswer);
    await this.connection.subscribe(`${base}/+/update/+`, onAnswer);
    await this.connection.subscribe(`${base}/+/get/+`, onAnswer);
  }

  startNext(): Promise<StartNextAccepted> {
    return this.request(this.topics.startNext, {}, 'start-next');
  }

  update(jobId: string, request: UpdateJobExecutionRequest): Promise<UpdateJobExecutionAccepted> {
    return this.request(this.topics.update(jobId), request, `update of job ${jobId} to ${request.status}`);
  }

  describe(jobId: string): Promise<DescribeAccepted> {
    return this.request(this.topics.describe(jobId), {}, `describe of job ${jobId}`);
  }

  private request<T>(topic: string, body: object, what: string): Promise<T> {
    const clientToken = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = this.options.timers.setTimeout(() => {
        if (this.pending.delete(clientToken)) {
          reject(
            new JobsRequestUnansweredError(
              `${what}: no answer from the jobs service within ${this.options.answerTimeoutMs} ms`,
            ),
          );
        }
      }, this.options.answerTimeoutMs);
      const settle =
        <V>(fn: (value: V) => void) =>
        (value: V) => {
          this.options.timers.clearTimeout(timer);
          fn(value);
        };
      this.pending.set(clientToken, {
        stem: topic,
        resolve: settle(resolve as (value: unknown) => void),
        reject: settle((error: Error) => {
          reject(
            error instanceof JobsRequestRejectedError
              ? new JobsRequestRejectedError(error.response, what)
              : error,
          );
        }),
      });
      this.connection.publish(topic, { ...body, clientToken }).catch((error: unknown) => {
        const entry = this.pending.get(clientToken);
        if (!entry) return;
        this.pending.delete(clientToken);
        entry.reject(
          new JobsRequestUnansweredError(`${what}: not delivered to the jobs service`, { cause: error }),
        );
      });
    });
  }

  private answer(message: InboundMessage): void {
    const accepted = message.topic.endsWith('/accepted');
    if (!accepted && !message.topic.endsWith('/rejected')) return; // our own request echoed back
    const stem = message.topic.slice(0, message.topic.lastIndexOf('/'));
    const body = parse<{ clientToken?: string }>(message);
    if (!body) {
      this.options.logger.warn({ topic: message.topic }, 'unreadable jobs answer ignored');
      return;
    }
    // A token that is not ours is someone else's answer; no token at all: the oldest on this topic.
    const token =
      body.clientToken !== undefined
        ? body.clientToken
        : [...this.pending].find(([, entry]) => entry.stem === stem)?.[0];
    const entry = token === undefined ? undefined : this.pending.get(token);
    if (!entry || token === undefined) return; // an answer to someone else's request (or a late one)
    this.pending.delete(token);
    if (accepted) entry.resolve(body);
    else entry.reject(new JobsRequestRejectedError(body as JobsErrorResponse, stem));
  }
}

function parse<T>(message: InboundMessage): T | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(message.payload)) as unknown;
    return typeof value === 'object' && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
