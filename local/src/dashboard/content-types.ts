import { extname } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
};

/** Unknown extensions are served as opaque bytes; with `nosniff` the browser will not guess. */
export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * HTML is revalidated every time so a new page picks up new assets at once; the assets it
 * names may be reused for a few minutes.
 */
export function cacheControlFor(filePath: string): string {
  return extname(filePath).toLowerCase() === '.html' ? 'no-cache' : 'public, max-age=300';
}
