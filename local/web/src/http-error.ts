// What the page says when the server refuses a request. The server's own words are the most
// useful ("no simulated device "x" in this stack"), whether it sent them as JSON or plain text.

const MAX_LENGTH = 200;

/** The server's error text from a non-2xx response body, else the HTTP status. */
export function describeHttpError(status: number, statusText: string, body: string): string {
  const text = messageFromJson(body) ?? body.trim();
  if (text === '') return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}

function messageFromJson(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  for (const key of ['error', 'message']) {
    const value = (parsed as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}
