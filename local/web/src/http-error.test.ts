import { describe, expect, it } from 'vitest';
import { describeHttpError } from './http-error.js';

describe('describeHttpError', () => {
  it("shows the server's JSON error text", () => {
    expect(describeHttpError(404, 'Not Found', '{"error":"no simulated device \\"x\\" in this stack"}')).toBe(
      'no simulated device "x" in this stack',
    );
    expect(describeHttpError(500, '', '{"message":"boom"}')).toBe('boom');
  });

  it('shows a plain-text body as it is', () => {
    expect(describeHttpError(409, 'Conflict', '  device is brewing\n')).toBe('device is brewing');
  });

  it('falls back to the status when the body says nothing', () => {
    expect(describeHttpError(503, 'Service Unavailable', '')).toBe('HTTP 503 Service Unavailable');
    expect(describeHttpError(500, '', '')).toBe('HTTP 500');
  });

  it('cuts a long body (an HTML error page) short', () => {
    expect(describeHttpError(502, 'Bad Gateway', 'x'.repeat(1000))).toHaveLength(200);
  });
});
