import type { IncomingMessage } from 'node:http';
import { badRequest } from './http-errors.js';

/**
 * The raw path of the request, before the query, still percent-encoded. We route on this rather
 * than on `new URL(...).pathname` because the WHATWG parser silently folds `..` and `%2e%2e`
 * segments: a traversal attempt would reach a different route instead of being refused.
 */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '';
  if (!url.startsWith('/')) throw badRequest(`request target must be a path starting with "/", got "${url}"`);
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** Percent-decodes one part of a path; a malformed escape is the client's mistake, not a 500. */
export function decodePathPart(encoded: string, what: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw badRequest(`${what} has malformed percent-encoding: "${encoded}"`);
  }
}
