import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import {
  type CoffeeRepository,
  DatabaseResumingError,
  DatabaseUnavailableError,
} from '../db/coffee-repository.js';
import { unavailableAsError } from '../db/database-errors.js';
import type { DeviceRepository } from '../db/device-repository.js';
import type { Logger } from '../logging/logger.js';
import { InvalidPhotoKeyError, parsePhotoKey } from './photo-key.js';
import type { PhotoLinks } from './photo-links.js';
import { errorResponse, jsonResponse, redirectResponse } from './responses.js';
import { readDashboardSnapshot } from './snapshot.js';
import type { PhotoLink } from './snapshot-types.js';

/** What the dashboard API reads from; built once per Lambda container (aws-dashboard-api.ts). */
export interface DashboardApiDeps {
  database: CoffeeDatabase;
  devices: DeviceRepository;
  coffees: Pick<CoffeeRepository, 'findByPhotoKey'>;
  photoLinks: PhotoLinks;
  /** How long a photo link lives, in seconds. */
  photoLinkSeconds: number;
  logger: Logger;
  now: () => Date;
}

type Result = APIGatewayProxyStructuredResultV2;
type RouteHandler = (
  deps: DashboardApiDeps,
  captures: readonly string[],
  event: APIGatewayProxyEventV2,
) => Promise<Result>;

interface Route {
  /** Matched against the raw, still percent-encoded path; captures are decoded by the handler. */
  pattern: RegExp;
  methods: Readonly<Record<string, RouteHandler>>;
}

const getSnapshot: RouteHandler = async (deps) => jsonResponse(200, await readDashboardSnapshot(deps));

/**
 * A presigned link, so the photo's bytes go from S3 to the browser without passing through the
 * function. Only photos the database lists as coffees are linked: the endpoint cannot be used to
 * fetch whatever else lies under photos/ (not yet analysed, or never a coffee).
 *
 * The page in AWS sends its token in an Authorization header, which an `<img src>` cannot carry: it
 * asks for JSON and sets the image's src to the link itself. Anything else (a browser following a
 * link, curl) gets a 302 to it.
 */
const getPhoto: RouteHandler = async (deps, [encodedKey = ''], event) => {
  const photoKey = parsePhotoKey(encodedKey);
  const stored = await deps.coffees.findByPhotoKey(photoKey);
  if (stored === null) return errorResponse(404, `no coffee photo "${photoKey}"`);
  if (stored.record.status === 'missing') return errorResponse(404, `the photo "${photoKey}" is gone`);
  // Read before signing: the signature's own time is the same or later, so the link outlives this.
  const expiresAt = new Date(deps.now().getTime() + deps.photoLinkSeconds * 1000);
  const url = await deps.photoLinks.linkFor(photoKey, deps.photoLinkSeconds);
  // no-store already keeps both answers out of caches; Vary says why they differ all the same.
  const vary = { Vary: 'Accept' };
  if (acceptsJson(event.headers.accept)) {
    const body: PhotoLink = { url, expiresAt: expiresAt.toISOString() };
    return jsonResponse(200, body, vary);
  }
  return redirectResponse(url, vary);
};

/**
 * Whether an Accept header names application/json itself. Wildcards do not count: a browser's image
 * request lists image types and "any type" at a lower weight, and must still be redirected.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    // q=0 means "not acceptable" (RFC 9110 §12.4.2).
    return type === 'application/json' && !params.some((param) => /^q=0(?:\.0{0,3})?$/.test(param));
  });
}

// The HTTP API routes only these (infra/src/constructs/dashboard.ts), each behind the JWT
// authorizer; the function checks again so it never depends on the gateway alone.
const ROUTES: readonly Route[] = [
  { pattern: /^\/api\/snapshot$/, methods: { GET: getSnapshot } },
  { pattern: /^\/api\/photos\/(.+)$/, methods: { GET: getPhoto } },
];

/** Aurora Serverless resumes from auto-pause in about 15 s; the page asks again after this. */
export const WAKING_RETRY_AFTER_SECONDS = 5;

/**
 * One HTTP API (payload v2) request: routes on the raw path, maps refusals to 400/404/405, a database
 * waking from auto-pause or unreachable to 503 (the page retries); anything else throws, and API Gateway answers 500.
 */
export async function handleDashboardRequest(
  event: APIGatewayProxyEventV2,
  deps: DashboardApiDeps,
): Promise<Result> {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const route = ROUTES.map((candidate) => ({ candidate, match: candidate.pattern.exec(path) })).find(
    ({ match }) => match !== null,
  );
  if (route === undefined || route.match === null) return errorResponse(404, `no API endpoint at ${path}`);
  const { methods } = route.candidate;
  // Own keys only: a method named like an Object.prototype member must not find a "handler".
  const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (handler === undefined) {
    return errorResponse(405, `${method} is not allowed on ${path}`, {
      Allow: Object.keys(methods).join(', '),
    });
  }
  try {
    // The stats read goes to the database without a repository: name its driver's failures here
    // too (a paused cluster's DatabaseResumingException, a refused connection).
    return await unavailableAsError(`${method} ${path}`, () =>
      handler(deps, route.match?.slice(1) ?? [], event),
    );
  } catch (error) {
    if (error instanceof InvalidPhotoKeyError) return errorResponse(400, error.message);
    if (error instanceof DatabaseResumingError) {
      deps.logger.info(
        { requestId: event.requestContext.requestId, path },
        'database waking from auto-pause',
      );
      return jsonResponse(
        503,
        {
          error:
            'waking the database: it pauses when idle and takes about 15 seconds to resume; try again shortly',
          waking: true,
        },
        { 'Retry-After': String(WAKING_RETRY_AFTER_SECONDS) },
      );
    }
    if (error instanceof DatabaseUnavailableError) {
      deps.logger.warn(
        { err: error, requestId: event.requestContext.requestId, path },
        'database unavailable',
      );
      return errorResponse(503, 'the database is not reachable right now; try again shortly', {
        'Retry-After': '5',
      });
    }
    throw error;
  }
}
