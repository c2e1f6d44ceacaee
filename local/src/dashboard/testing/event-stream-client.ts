/** One server-sent event frame as received: its raw text (without the blank line) and parsed fields. */
export interface SseFrame {
  raw: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

export interface EventStreamClient {
  response: Response;
  /** The next complete frame; rejects when the stream ends first. */
  nextFrame(): Promise<SseFrame>;
  /** Skips frames (e.g. heartbeats) until one matches. */
  nextFrameWhere(predicate: (frame: SseFrame) => boolean): Promise<SseFrame>;
  /** Hangs up, as a closed browser tab would. */
  close(): void;
}

/** Reads `GET /api/events` with fetch and a body reader, splitting frames on the blank line. */
export async function openEventStream(baseUrl: string): Promise<EventStreamClient> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/api/events`, { signal: abort.signal });
  if (!response.body) throw new Error(`event stream has no body (status ${response.status})`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';

  async function nextFrame(): Promise<SseFrame> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return parseFrame(raw);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      buffer += value;
    }
  }

  async function nextFrameWhere(predicate: (frame: SseFrame) => boolean): Promise<SseFrame> {
    for (;;) {
      const frame = await nextFrame();
      if (predicate(frame)) return frame;
    }
  }

  return { response, nextFrame, nextFrameWhere, close: () => abort.abort() };
}

function parseFrame(raw: string): SseFrame {
  const frame: SseFrame = { raw, comments: [] };
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event' || field === 'data' || field === 'retry') frame[field] = value;
  }
  return frame;
}
