/**
 * A request the server refuses on purpose. The status and message go back to the client as
 * JSON (API) or text (static files); anything that is not an HttpError is a bug and becomes a
 * logged 500.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers the status requires, e.g. `Allow` on a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

export function notFound(message: string): HttpError {
  return new HttpError(404, message);
}

export function methodNotAllowed(method: string | undefined, allowed: readonly string[]): HttpError {
  const list = allowed.join(', ');
  return new HttpError(405, `method ${method ?? '(none)'} not allowed here; allowed: ${list}`, {
    Allow: list,
  });
}
