import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ApiContext,
  type ApiHandler,
  getPhoto,
  getSnapshot,
  openEventStream,
  pressButton,
} from './api-handlers.js';
import { createJob, getDeviceConfig, getJob, listJobs, putDeviceConfig } from './control-handlers.js';
import { methodNotAllowed, notFound } from './http-errors.js';

interface ApiRoute {
  /** Matched against the raw, still percent-encoded path; captures are decoded by the handler. */
  pattern: RegExp;
  methods: Readonly<Record<string, ApiHandler>>;
}

// HEAD shares the GET handler where it is cheap and meaningful; Node sends the headers only.
const API_ROUTES: readonly ApiRoute[] = [
  { pattern: /^\/api\/snapshot$/, methods: { GET: getSnapshot, HEAD: getSnapshot } },
  { pattern: /^\/api\/events$/, methods: { GET: openEventStream } },
  { pattern: /^\/api\/photos\/(.*)$/, methods: { GET: getPhoto } },
  { pattern: /^\/api\/devices\/([^/]*)\/press$/, methods: { POST: pressButton } },
  { pattern: /^\/api\/devices\/([^/]*)\/config$/, methods: { GET: getDeviceConfig, PUT: putDeviceConfig } },
  { pattern: /^\/api\/jobs$/, methods: { GET: listJobs, POST: createJob } },
  { pattern: /^\/api\/jobs\/([^/]*)$/, methods: { GET: getJob } },
];

export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

/** Finds the route and method for an `/api` path and runs it; refusals are thrown as HttpErrors. */
export async function routeApiRequest(
  context: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  for (const route of API_ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const method = req.method ?? '';
    // Own keys only: a method named like an Object.prototype member must not find a "handler".
    const handler = Object.hasOwn(route.methods, method) ? route.methods[method] : undefined;
    if (!handler) throw methodNotAllowed(req.method, Object.keys(route.methods));
    await handler(context, req, res, match.slice(1));
    return;
  }
  throw notFound(`no API endpoint at ${path}`);
}
