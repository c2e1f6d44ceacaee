import type { DeviceConfigView, FleetControl, JobRequest, JobView } from './fleet-control-port.js';
import { FleetControlError } from './fleet-control-port.js';
import { configView } from './shadow-view.js';

/**
 * FleetControl over the local stack's HTTP API (local/src/dashboard): the same shadow and jobs
 * services the embedded broker answers devices with. No Origin header is sent: the dashboard's
 * request guard lets through clients that are not browsers, and refuses cross-site pages.
 */
export class LocalFleetControl implements FleetControl {
  readonly description: string;

  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.description = `the local stack at ${baseUrl}`;
  }

  async getConfig(thing: string): Promise<DeviceConfigView> {
    return localConfigView(thing, await this.call('GET', `/api/devices/${encodeURIComponent(thing)}/config`));
  }

  async setDesiredConfig(
    thing: string,
    values: Readonly<Record<string, unknown>>,
  ): Promise<DeviceConfigView> {
    const path = `/api/devices/${encodeURIComponent(thing)}/config`;
    return localConfigView(thing, await this.call('PUT', path, { desired: values }));
  }

  async createJob(request: JobRequest): Promise<{ jobId: string }> {
    const { operation, ...parameters } = request.document;
    const body = {
      jobId: request.jobId,
      operation,
      parameters,
      targets: request.targets,
      ...(request.inProgressTimeoutMinutes === undefined
        ? {}
        : { stepTimeoutMinutes: request.inProgressTimeoutMinutes }),
    };
    const answer = (await this.call('POST', '/api/jobs', body)) as { jobId?: unknown };
    return { jobId: typeof answer.jobId === 'string' ? answer.jobId : request.jobId };
  }

  async describeJob(jobId: string): Promise<JobView> {
    const answer = (await this.call('GET', `/api/jobs/${encodeURIComponent(jobId)}`)) as {
      jobId: string;
      status: string;
      document: Record<string, unknown>;
      executions: {
        thingName: string;
        status: JobView['executions'][number]['status'];
        statusDetails?: Record<string, string>;
        lastUpdatedAt?: number | string | null;
      }[];
    };
    return {
      jobId: answer.jobId,
      status: answer.status,
      document: answer.document ?? {},
      executions: (answer.executions ?? []).map((execution) => ({
        thing: execution.thingName,
        status: execution.status,
        statusDetails: execution.statusDetails ?? {},
        lastUpdatedAt: toDate(execution.lastUpdatedAt),
      })),
    };
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetchImpl(new URL(path, this.baseUrl), {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new FleetControlError(
        `cannot reach ${this.description} (is \`npm start\` running? --dashboard URL names another): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new FleetControlError(`${method} ${path} → ${response.status}: ${errorText(text)}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new FleetControlError(`${method} ${path} answered something that is not JSON`, { cause: error });
    }
  }
}

/**
 * The local API's config view is flat (`{ thingName, desired, reported, delta, version }`), version 0
 * before the shadow exists.
 */
function localConfigView(thing: string, answer: unknown): DeviceConfigView {
  const view = answer as { desired?: unknown; reported?: unknown; delta?: unknown; version?: unknown };
  const shaped = configView(thing, { state: view, version: view.version });
  return { ...shaped, version: shaped.version === 0 ? null : shaped.version };
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const message = parsed.error ?? parsed.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the body itself is the message
  }
  return body.slice(0, 300);
}

function toDate(value: number | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  // The jobs API's times are epoch seconds.
  return typeof value === 'number' ? new Date(value * 1000) : new Date(value);
}
