// AWS mode's photos: an <img> cannot send the sign-in token, so the page asks the API for each
// photo's presigned S3 link and shows that. Links are reused until shortly before they lapse, so a
// redraw every poll neither asks the API again nor makes the browser download the photo again.
import type { PhotoLink } from './api.js';

/** A link is not handed out in its last half minute: the browser may still be loading it then. */
export const EXPIRY_MARGIN_MS = 30_000;

export interface UsablePhotoLink {
  url: string;
  /** Epoch ms, by the server's clock. */
  expiresAtMs: number;
}

/** The API's answer checked: an https URL and a time. */
export function parsePhotoLink(body: unknown): UsablePhotoLink {
  const { url, expiresAt } = (typeof body === 'object' && body !== null ? body : {}) as Partial<PhotoLink>;
  const expiresAtMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
  if (typeof url !== 'string' || !url.startsWith('https://') || Number.isNaN(expiresAtMs)) {
    throw new TypeError(
      `the API's photo link is not { url: "https://…", expiresAt: ISO 8601 }: ${JSON.stringify(body)}`,
    );
  }
  return { url, expiresAtMs };
}

export interface PhotoLinkCacheOptions {
  /** Asks the API for the link of the photo at `photoUrl` (the snapshot's /api/photos/… path). */
  load(photoUrl: string): Promise<UsablePhotoLink>;
  /** The server's clock, epoch ms: the links' expiry is on it (and so is S3's check). */
  now(): number;
}

interface Entry {
  link: Promise<UsablePhotoLink>;
  /** Known once the link arrived. */
  expiresAtMs: number | null;
}

export class PhotoLinkCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: PhotoLinkCacheOptions) {}

  /** The presigned URL for `photoUrl`: the cached one while it has more than 30 s left, else a new one. */
  async urlFor(photoUrl: string): Promise<string> {
    this.forgetStale();
    let entry = this.entries.get(photoUrl);
    if (entry === undefined) {
      const created: Entry = { link: this.options.load(photoUrl), expiresAtMs: null };
      entry = created;
      this.entries.set(photoUrl, created);
      created.link.then(
        (link) => {
          created.expiresAtMs = link.expiresAtMs;
        },
        () => {
          // A failure is not remembered: the next redraw asks again.
          if (this.entries.get(photoUrl) === created) this.entries.delete(photoUrl);
        },
      );
    }
    return (await entry.link).url;
  }

  /** How many links are held (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private forgetStale(): void {
    const now = this.options.now();
    for (const [photoUrl, entry] of this.entries) {
      if (entry.expiresAtMs !== null && entry.expiresAtMs - EXPIRY_MARGIN_MS <= now)
        this.entries.delete(photoUrl);
    }
  }
}
