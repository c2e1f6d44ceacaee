import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import {
  type CoffeeRepository,
  DatabaseResumingError,
  DatabaseUnavailableError,
} from '../db/coffee-repository.js';
import { createDeviceRepository } from '../db/device-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { createCoffeeRepository } from '../db/sql-coffee-repository.js';
import { openSqliteDatabase } from '../db/sqlite-database.js';
import { silentLogger } from '../logging/logger.js';
import { sampleCoffeeRecord } from '../testing/coffee-fixtures.js';
import { acceptsJson, type DashboardApiDeps, handleDashboardRequest } from './handle-request.js';
import type { PhotoLinks } from './photo-links.js';
import type { DashboardSnapshot } from './snapshot-types.js';

const NOW = new Date('2026-03-02T12:00:00.000Z');
/** What Chromium sends for an <img>: image types and a lower-weighted wildcard, never JSON. */
const IMAGE_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

/** An HTTP API payload v2 event as API Gateway sends it after the JWT authorizer let it through. */
function httpApiEvent(
  method: string,
  rawPath: string,
  {
    routeKey = `${method} ${rawPath}`,
    accept = 'application/json',
  }: { routeKey?: string; accept?: string } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    // Payload v2 lower-cases header names.
    headers: { accept, authorization: 'Bearer eyJ…' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '02/Mar/2026:12:00:00 +0000',
      timeEpoch: NOW.getTime(),
    },
    isBase64Encoded: false,
  };
}

/** Records what it was asked to sign and answers a recognisable URL. */
class FakePhotoLinks implements PhotoLinks {
  readonly requests: { photoKey: string; expiresInSeconds: number }[] = [];
  async linkFor(photoKey: string, expiresInSeconds: number): Promise<string> {
    this.requests.push({ photoKey, expiresInSeconds });
    return `https://photos.example/${photoKey}?X-Amz-Expires=${expiresInSeconds}`;
  }
}

describe('handleDashboardRequest', () => {
  let database: CoffeeDatabase;
  let coffees: CoffeeRepository;
  let links: FakePhotoLinks;
  let deps: DashboardApiDeps;

  beforeEach(async () => {
    database = openSqliteDatabase(':memory:');
    await migrateToLatest(database.db);
    coffees = createCoffeeRepository(database, { now: () => NOW });
    links = new FakePhotoLinks();
    deps = {
      database,
      devices: createDeviceRepository(database),
      coffees,
      photoLinks: links,
      photoLinkSeconds: 300,
      logger: silentLogger(),
      now: () => NOW,
    };
  });
  afterEach(async () => {
    await database.close();
  });

  it('answers GET /api/snapshot with the snapshot as uncached JSON', async () => {
    const record = sampleCoffeeRecord();
    await coffees.recordCoffee({ record, faceDetails: null });

    const response = await handleDashboardRequest(httpApiEvent('GET', '/api/snapshot'), deps);

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    const body = JSON.parse(response.body ?? '') as DashboardSnapshot;
    expect(body.generatedAt).toBe(NOW.toISOString());
    expect(body.coffees.map((coffee) => coffee.photoUrl)).toEqual([`/api/photos/${record.photoKey}`]);
  });

  it('redirects GET /api/photos/{key} to a five-minute presigned link for a recorded coffee', async () => {
    const record = sampleCoffeeRecord();
    await coffees.recordCoffee({ record, faceDetails: null });

    const response = await handleDashboardRequest(
      httpApiEvent('GET', `/api/photos/${record.photoKey}`, {
        routeKey: 'GET /api/photos/{proxy+}',
        accept: IMAGE_ACCEPT,
      }),
      deps,
    );

    expect(response).toEqual({
      statusCode: 302,
      headers: {
        Location: `https://photos.example/${record.photoKey}?X-Amz-Expires=300`,
        'Cache-Control': 'no-store',
        Vary: 'Accept',
      },
    });
    expect(links.requests).toEqual([{ photoKey: record.photoKey, expiresInSeconds: 300 }]);
  });

  it('answers the link and when it expires as JSON to a request that accepts application/json', async () => {
    const record = sampleCoffeeRecord();
    await coffees.recordCoffee({ record, faceDetails: null });

    const response = await handleDashboardRequest(
      httpApiEvent('GET', `/api/photos/${record.photoKey}`, {
        routeKey: 'GET /api/photos/{proxy+}',
        accept: 'application/json',
      }),
      deps,
    );

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      Vary: 'Accept',
    });
    expect(JSON.parse(response.body ?? '')).toEqual({
      url: `https://photos.example/${record.photoKey}?X-Amz-Expires=300`,
      expiresAt: '2026-03-02T12:05:00.000Z',
    });
    expect(links.requests).toEqual([{ photoKey: record.photoKey, expiresInSeconds: 300 }]);
  });

  it('redirects when the request sends no Accept header at all', async () => {
    const record = sampleCoffeeRecord();
    await coffees.recordCoffee({ record, faceDetails: null });
    const event = httpApiEvent('GET', `/api/photos/${record.photoKey}`);
    event.headers = { authorization: 'Bearer eyJ…' };

    const response = await handleDashboardRequest(event, deps);

    expect(response.statusCode).toBe(302);
  });

  it('decodes a percent-encoded photo key before looking it up', async () => {
    const record = sampleCoffeeRecord();
    await coffees.recordCoffee({ record, faceDetails: null });

    const response = await handleDashboardRequest(
      httpApiEvent('GET', `/api/photos/${encodeURIComponent(record.photoKey)}`, { accept: IMAGE_ACCEPT }),
      deps,
    );

    expect(response.statusCode).toBe(302);
    expect(links.requests[0]?.photoKey).toBe(record.photoKey);
  });

  it('answers 404, and signs nothing, for a photo no coffee was recorded for', async () => {
    const response = await handleDashboardRequest(
      httpApiEvent('GET', '/api/photos/photos/coffee-pi-01/2026/03/02/unknown.jpg'),
      deps,
    );
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body ?? '')).toEqual({
      error: 'no coffee photo "photos/coffee-pi-01/2026/03/02/unknown.jpg"',
    });
    expect(links.requests).toEqual([]);
  });

  it.each([
    ['/api/photos/exports/2026-03-01/coffees.csv', 'must start with "photos/"'],
    ['/api/photos/photos/../exports/2026-03-01/coffees.csv', 'must not contain ".." segments'],
    ['/api/photos/photos/%2e%2e/exports/x', 'must not contain ".." segments'],
    ['/api/photos/photos/%E0%A4%A', 'malformed percent-encoding'],
  ])('answers 400 for %s', async (path, problem) => {
    const response = await handleDashboardRequest(httpApiEvent('GET', path), deps);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '').error).toContain(problem);
    expect(links.requests).toEqual([]);
  });

  it.each(['/api', '/api/events', '/api/photos/', '/api/snapshot/extra', '/index.html'])(
    'answers 404 for %s',
    async (path) => {
      const response = await handleDashboardRequest(httpApiEvent('GET', path), deps);
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body ?? '')).toEqual({ error: `no API endpoint at ${path}` });
    },
  );

  it('answers 405 naming the allowed method for a method the endpoint does not take', async () => {
    for (const method of ['POST', 'DELETE', 'constructor']) {
      const response = await handleDashboardRequest(httpApiEvent(method, '/api/snapshot'), deps);
      expect(response.statusCode).toBe(405);
      expect(response.headers).toMatchObject({ Allow: 'GET' });
    }
  });

  it('answers 503 when the database is unreachable, so the page tries again', async () => {
    const unreachable: DashboardApiDeps = {
      ...deps,
      coffees: {
        findByPhotoKey: async () => {
          throw new DatabaseUnavailableError('connect ETIMEDOUT');
        },
      },
    };
    const response = await handleDashboardRequest(
      httpApiEvent('GET', '/api/photos/photos/coffee-pi-01/2026/03/02/a.jpg'),
      unreachable,
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '5' });
  });

  it('answers 503 "waking the database" while Aurora resumes from auto-pause, named or raw from the driver', async () => {
    const resuming: DashboardApiDeps = {
      ...deps,
      coffees: {
        findByPhotoKey: async () => {
          throw new DatabaseResumingError('findByPhotoKey: the database is resuming from auto-pause');
        },
      },
    };
    // The Data API SDK's own error, as the snapshot's stats read (no repository) would see it.
    const rawFromSdk = Object.assign(
      new Error('The Aurora DB instance is resuming after being auto-paused.'),
      {
        name: 'DatabaseResumingException',
      },
    );
    const resumingSnapshot: DashboardApiDeps = {
      ...deps,
      devices: {
        ...deps.devices,
        listDevices: async () => {
          throw rawFromSdk;
        },
      },
    };
    for (const [event, api] of [
      [httpApiEvent('GET', '/api/photos/photos/coffee-pi-01/2026/03/02/a.jpg'), resuming],
      [httpApiEvent('GET', '/api/snapshot'), resumingSnapshot],
    ] as const) {
      const response = await handleDashboardRequest(event, api);
      expect(response.statusCode).toBe(503);
      expect(response.headers).toMatchObject({ 'Retry-After': '5', 'Cache-Control': 'no-store' });
      expect(JSON.parse(response.body ?? '')).toEqual({
        error: expect.stringMatching(/^waking the database/),
        waking: true,
      });
    }
  });

  it('lets an unexpected failure through for API Gateway to answer 500', async () => {
    const broken: DashboardApiDeps = {
      ...deps,
      photoLinks: {
        linkFor: async () => {
          throw new Error('signer exploded');
        },
      },
    };
    const record = sampleCoffeeRecord();
    await coffees.recordCoffee({ record, faceDetails: null });
    await expect(
      handleDashboardRequest(httpApiEvent('GET', `/api/photos/${record.photoKey}`), broken),
    ).rejects.toThrow('signer exploded');
  });
});

describe('acceptsJson', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['text/html, application/json;q=0.5', true],
    ['application/json;q=0', false],
    ['application/json; q=0.000', false],
    [IMAGE_ACCEPT, false],
    ['*/*', false],
    ['application/*', false],
    ['application/jsonp', false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (accept, expected) => {
    expect(acceptsJson(accept)).toBe(expected);
  });
});
