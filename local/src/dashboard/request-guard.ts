import type { IncomingMessage } from 'node:http';

/** The request headers the guard can refuse a request for. */
export const GUARDED_HEADERS = ['Host', 'Origin', 'Sec-Fetch-Site'] as const;
export type GuardedHeader = (typeof GUARDED_HEADERS)[number];

export interface GuardRefusal {
  header: GuardedHeader;
  message: string;
}

/** Methods that only read; every other method may change state (a press). */
const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** Loopback names a browser on this machine may use for the dashboard. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** Binding to these listens everywhere; they are never a name a client dials. */
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/**
 * Keeps web pages from other sites out of the dashboard, which has no login:
 *
 * - DNS rebinding: every request must name the dashboard in `Host` (127.0.0.1, localhost,
 *   [::1] or the host it was bound to, with its port). A page on `evil.example` whose name now
 *   resolves to 127.0.0.1 still sends `Host: evil.example:PORT`, so it reads and presses nothing.
 * - Cross-site requests (CSRF): a state-changing request (any method but GET and HEAD) that
 *   carries `Origin` must carry the dashboard's own origin, `http://{Host}`; `Origin: null`
 *   (sandboxed frames, some redirects) is refused. Browsers send `Origin` on every such request,
 *   same-origin ones included. Without `Origin`, a `Sec-Fetch-Site` other than `same-origin`
 *   is refused. With neither, the client is not a browser (curl, scripts): it could only harm
 *   itself, so it is let through and `curl -X POST …/press` keeps working.
 */
export class RequestGuard {
  private readonly hosts: ReadonlySet<string>;

  constructor(bindHost: string, port: number) {
    const bound = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
    const names = new Set(LOOPBACK_NAMES);
    if (!WILDCARD_ADDRESSES.has(bound)) names.add(bound.toLowerCase());
    const hosts = new Set<string>();
    for (const name of names) {
      hosts.add(`${name}:${port}`);
      // A browser leaves the default port out of Host and Origin.
      if (port === 80) hosts.add(name);
    }
    this.hosts = hosts;
  }

  /** The accepted `Host` values, e.g. for an error message. */
  get acceptedHosts(): readonly string[] {
    return [...this.hosts];
  }

  /** Why the request must be refused, naming the header; undefined when it may proceed. */
  check(req: IncomingMessage): GuardRefusal | undefined {
    const host = req.headers.host?.toLowerCase();
    if (host === undefined || !this.hosts.has(host)) {
      const shown = host === undefined ? 'missing' : `"${req.headers.host}"`;
      return {
        header: 'Host',
        message: `Host header ${shown} is not this dashboard's (expected one of ${this.acceptedHosts.join(', ')})`,
      };
    }
    if (SAFE_METHODS.has(req.method ?? '')) return undefined;
    const origin = req.headers.origin;
    const own = `http://${host}`;
    if (origin !== undefined) {
      if (origin.toLowerCase() === own) return undefined;
      return {
        header: 'Origin',
        message: `Origin "${origin}" is not this dashboard's origin (${own}): cross-site requests may not change anything`,
      };
    }
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') {
      return {
        header: 'Sec-Fetch-Site',
        message: `Sec-Fetch-Site "${site}" without an Origin: only same-origin pages may change anything`,
      };
    }
    return undefined;
  }
}
