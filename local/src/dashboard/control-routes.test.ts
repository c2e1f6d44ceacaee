import { join } from 'node:path';
import { jobsTopics, shadowTopics } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { iotCoreControl } from '../iot-core/iot-core-control.js';
import { JobsService } from '../iot-core/jobs-service.js';
import { ShadowService } from '../iot-core/shadow-service.js';
import { ManualClock } from '../iot-core/testing/iot-core-harness.js';
import { RecordingMqtt } from '../iot-core/testing/recording-mqtt.js';
import { captureLogs } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { type StartedDashboard, startDashboard } from './testing/dashboard-harness.js';

const THING = 'coffee-pi-1';

let temp: TempDir;
let mqtt: RecordingMqtt;
let clock: ManualClock;
let shadows: ShadowService;
let jobs: JobsService;
let dashboard: StartedDashboard;

beforeEach(async () => {
  temp = await tempDir('control-routes');
  mqtt = new RecordingMqtt();
  clock = new ManualClock();
  const { logger } = captureLogs();
  shadows = new ShadowService({ mqtt, directory: join(temp.dir, 'shadows'), logger, clock });
  jobs = new JobsService({ mqtt, path: join(temp.dir, 'jobs.json'), logger, clock });
  await shadows.start();
  await jobs.start();
  dashboard = await startDashboard({ control: iotCoreControl(shadows, jobs) });
});

afterEach(async () => {
  await dashboard.server.close();
  await jobs.stop();
  await shadows.stop();
  await temp.remove();
});

function api(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${dashboard.url}${path}`, init);
}

/** A response body whose fields the assertions below read. */
type Body = { error?: string; desired?: unknown; executions?: unknown; [field: string]: unknown };

async function bodyOf(response: Response): Promise<Body> {
  return (await response.json()) as Body;
}

function sendJson(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return api(path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('GET and PUT /api/devices/{thing}/config', () => {
  it('shows an empty config at version 0 before the shadow exists', async () => {
    const response = await api(`/api/devices/${THING}/config`);

    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toEqual({
      thingName: THING,
      desired: {},
      reported: {},
      delta: {},
      metadata: {},
      version: 0,
      timestamp: null,
    });
  });

  it('sets desired values (dotted names nested), publishes the delta, and GET shows desired, reported and delta', async () => {
    const put = await sendJson('PUT', `/api/devices/${THING}/config`, {
      desired: { batchSeconds: 10, 'coffee.countdownSeconds': 5 },
    });
    expect(put.status).toBe(200);
    expect(await bodyOf(put)).toMatchObject({
      desired: { batchSeconds: 10, coffee: { countdownSeconds: 5 } },
      delta: { batchSeconds: 10, coffee: { countdownSeconds: 5 } },
      version: 1,
    });
    expect(mqtt.bodiesOn(shadowTopics(THING).updateDelta)).toEqual([
      expect.objectContaining({ state: { batchSeconds: 10, coffee: { countdownSeconds: 5 } } }),
    ]);

    // The device reports: batchSeconds applied, the countdown refused.
    mqtt.deliver(
      shadowTopics(THING).update,
      Buffer.from(
        JSON.stringify({
          state: {
            reported: {
              batchSeconds: 10,
              coffee: { countdownSeconds: 3 },
              refused: { 'coffee.countdownSeconds': 'too long' },
            },
          },
        }),
      ),
    );
    await shadows.getDocument(THING);

    const get = await api(`/api/devices/${THING}/config`);
    expect(await get.json()).toMatchObject({
      desired: { batchSeconds: 10, coffee: { countdownSeconds: 5 } },
      reported: {
        batchSeconds: 10,
        coffee: { countdownSeconds: 3 },
        refused: { 'coffee.countdownSeconds': 'too long' },
      },
      delta: { coffee: { countdownSeconds: 5 } },
      version: 2,
      timestamp: clock.seconds,
    });
  });

  it('removes a desired key given null', async () => {
    await sendJson('PUT', `/api/devices/${THING}/config`, {
      desired: { batchSeconds: 10, logLevel: 'debug' },
    });

    const response = await sendJson('PUT', `/api/devices/${THING}/config`, { desired: { logLevel: null } });

    expect((await bodyOf(response)).desired).toEqual({ batchSeconds: 10 });
  });

  it.each([
    ['no desired', {}, 'desired: must be an object with at least one setting'],
    ['an empty desired', { desired: {} }, 'desired: must be an object with at least one setting'],
    ['a bad setting name', { desired: { 'bad name': 1 } }, 'desired.bad name: not a setting name'],
    ['an unknown field', { desired: { a: 1 }, reported: { a: 1 } }, 'reported: unknown field'],
    [
      'a name set twice',
      { desired: { coffee: 1, 'coffee.countdownSeconds': 2 } },
      'desired.coffee.countdownSeconds: set twice',
    ],
  ])('answers 400 naming the field for %s', async (_case, body, message) => {
    const response = await sendJson('PUT', `/api/devices/${THING}/config`, body);

    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error).toContain(message);
    expect(await shadows.getDocument(THING)).toBeNull();
  });

  it('answers 400 for a body that is not JSON and 415 for one that is not sent as JSON', async () => {
    const notJson = await sendJson('PUT', `/api/devices/${THING}/config`, '{"desired":');
    const form = await api(`/api/devices/${THING}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'desired=1',
    });

    expect(notJson.status).toBe(400);
    expect((await bodyOf(notJson)).error).toMatch(/^request body is not JSON/);
    expect(form.status).toBe(415);
  });

  it('answers 400 for an invalid thing name and 405 for POST', async () => {
    expect((await api('/api/devices/a%20b/config')).status).toBe(400);
    const post = await sendJson('POST', `/api/devices/${THING}/config`, { desired: { a: 1 } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, PUT');
  });

  it('refuses a cross-site PUT (request guard) and changes nothing', async () => {
    const response = await sendJson(
      'PUT',
      `/api/devices/${THING}/config`,
      { desired: { batchSeconds: 1 } },
      { origin: 'http://evil.example' },
    );

    expect(response.status).toBe(403);
    expect(await shadows.getDocument(THING)).toBeNull();
  });
});

describe('/api/jobs', () => {
  it('creates a job from operation, parameters and targets; the thing hears it on notify-next', async () => {
    const response = await sendJson('POST', '/api/jobs', {
      operation: 'upload-logs',
      parameters: { lines: '200' },
      targets: [THING, 'coffee-pi-2'],
      jobId: 'logs-1',
      stepTimeoutMinutes: 5,
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/api/jobs/logs-1');
    expect(await bodyOf(response)).toEqual({
      jobId: 'logs-1',
      operation: 'upload-logs',
      status: 'IN_PROGRESS',
      createdAt: clock.seconds,
      targets: [THING, 'coffee-pi-2'],
      executionCounts: { QUEUED: 2 },
      document: { operation: 'upload-logs', lines: '200' },
      stepTimeoutMinutes: 5,
      executions: [
        {
          thingName: THING,
          status: 'QUEUED',
          queuedAt: clock.seconds,
          lastUpdatedAt: clock.seconds,
          versionNumber: 1,
          executionNumber: 1,
        },
        {
          thingName: 'coffee-pi-2',
          status: 'QUEUED',
          queuedAt: clock.seconds,
          lastUpdatedAt: clock.seconds,
          versionNumber: 1,
          executionNumber: 1,
        },
      ],
    });
    expect(mqtt.bodiesOn(jobsTopics(THING).notifyNext)).toEqual([
      expect.objectContaining({
        execution: expect.objectContaining({
          jobId: 'logs-1',
          jobDocument: { operation: 'upload-logs', lines: '200' },
        }),
      }),
    ]);
  });

  it('lists jobs newest first and describes one with each execution', async () => {
    await sendJson('POST', '/api/jobs', { operation: 'capture-photo', targets: [THING], jobId: 'first' });
    await sendJson('POST', '/api/jobs', { operation: 'restart', targets: [THING], jobId: 'second' });
    mqtt.deliver(
      jobsTopics(THING).update('first'),
      Buffer.from(JSON.stringify({ status: 'SUCCEEDED', statusDetails: { photoKey: 'photos/x.jpg' } })),
    );
    // The update goes through the jobs queue; it lands without a reply to wait for here.
    await vi.waitFor(() => expect(jobs.describeJob('first').status).toBe('COMPLETED'));

    const list = await (await api('/api/jobs')).json();
    expect(list).toEqual({
      jobs: [
        expect.objectContaining({
          jobId: 'second',
          operation: 'restart',
          status: 'IN_PROGRESS',
          executionCounts: { QUEUED: 1 },
        }),
        expect.objectContaining({
          jobId: 'first',
          operation: 'capture-photo',
          status: 'COMPLETED',
          executionCounts: { SUCCEEDED: 1 },
        }),
      ],
    });
    const first = await bodyOf(await api('/api/jobs/first'));
    expect(first.executions).toEqual([
      expect.objectContaining({
        thingName: THING,
        status: 'SUCCEEDED',
        statusDetails: { photoKey: 'photos/x.jpg' },
        versionNumber: 2,
      }),
    ]);
  });

  it.each([
    ['no operation', { targets: [THING] }, 'operation: must be a job operation name'],
    ['no targets', { operation: 'capture-photo' }, 'targets: must be a list of 1 to 1000 thing names'],
    ['a bad target', { operation: 'capture-photo', targets: ['a b'] }, 'targets: not thing names: "a b"'],
    [
      'parameters that are not an object',
      { operation: 'x', targets: [THING], parameters: [1] },
      'parameters: must be an object',
    ],
    [
      'the operation again in parameters',
      { operation: 'x', targets: [THING], parameters: { operation: 'y' } },
      'parameters.operation',
    ],
    [
      'a bad step timeout',
      { operation: 'x', targets: [THING], stepTimeoutMinutes: 0 },
      'stepTimeoutMinutes: must be an integer from 1 to 10080',
    ],
    ['a bad job id', { operation: 'x', targets: [THING], jobId: 'a/b' }, 'jobId: must be 1 to 64'],
  ])('answers 400 naming the field for %s', async (_case, body, message) => {
    const response = await sendJson('POST', '/api/jobs', body);

    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error).toContain(message);
    expect(jobs.listJobs()).toEqual([]);
  });

  it('reports every problem of a body at once', async () => {
    const response = await sendJson('POST', '/api/jobs', { targets: [], color: 'red' });

    const { error } = await bodyOf(response);
    expect(error).toContain('color: unknown field');
    expect(error).toContain('operation:');
    expect(error).toContain('targets:');
  });

  it('answers 409 for a job id in use and 404 for an unknown job', async () => {
    await sendJson('POST', '/api/jobs', { operation: 'capture-photo', targets: [THING], jobId: 'once' });

    const again = await sendJson('POST', '/api/jobs', {
      operation: 'capture-photo',
      targets: [THING],
      jobId: 'once',
    });
    const missing = await api('/api/jobs/nope');

    expect(again.status).toBe(409);
    expect((await bodyOf(again)).error).toContain('"once" already exists');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no job with id "nope"' });
  });

  it('answers 404 when the server has no device control (not the local stack)', async () => {
    const plain = await startDashboard();
    try {
      const response = await fetch(`${plain.url}/api/jobs`);
      expect(response.status).toBe(404);
      expect((await bodyOf(response)).error).toContain('only available in the local stack');
    } finally {
      await plain.server.close();
    }
  });
});

describe('GET /config.json', () => {
  it('answers 204: the page is in local mode, and the browser logs no failed request', async () => {
    const response = await api('/config.json');

    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });
});
