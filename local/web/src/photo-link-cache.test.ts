import { describe, expect, it } from 'vitest';
import {
  EXPIRY_MARGIN_MS,
  PhotoLinkCache,
  parsePhotoLink,
  type UsablePhotoLink,
} from './photo-link-cache.js';

const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const PHOTO = '/api/photos/photos/dev-1/2026/03/02/a.jpg';

/** A cache whose loads the test answers when it wants, on a hand-set clock. */
function setup() {
  const clock = { now: T0 };
  const loads: { photoUrl: string; resolve(link: UsablePhotoLink): void; reject(error: Error): void }[] = [];
  const cache = new PhotoLinkCache({
    load: (photoUrl) => new Promise((resolve, reject) => loads.push({ photoUrl, resolve, reject })),
    now: () => clock.now,
  });
  const answer = async (index: number, link: UsablePhotoLink) => {
    loads[index]?.resolve(link);
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { cache, clock, loads, answer };
}

describe('PhotoLinkCache', () => {
  it('asks once for a photo wanted by several redraws at once', async () => {
    const { cache, loads, answer } = setup();
    const first = cache.urlFor(PHOTO);
    const second = cache.urlFor(PHOTO);
    expect(loads).toHaveLength(1);
    await answer(0, { url: 'https://bucket.s3/a?sig=1', expiresAtMs: T0 + 300_000 });
    expect(await first).toBe('https://bucket.s3/a?sig=1');
    expect(await second).toBe('https://bucket.s3/a?sig=1');
  });

  it('reuses a link until 30 s before it expires, then asks for a new one', async () => {
    const { cache, clock, loads, answer } = setup();
    const first = cache.urlFor(PHOTO);
    await answer(0, { url: 'https://bucket.s3/a?sig=1', expiresAtMs: T0 + 300_000 });
    await first;

    clock.now = T0 + 300_000 - EXPIRY_MARGIN_MS - 1;
    expect(await cache.urlFor(PHOTO)).toBe('https://bucket.s3/a?sig=1');
    expect(loads).toHaveLength(1);

    clock.now = T0 + 300_000 - EXPIRY_MARGIN_MS;
    const renewed = cache.urlFor(PHOTO);
    expect(loads).toHaveLength(2);
    await answer(1, { url: 'https://bucket.s3/a?sig=2', expiresAtMs: clock.now + 300_000 });
    expect(await renewed).toBe('https://bucket.s3/a?sig=2');
  });

  it('keeps one link per photo', async () => {
    const { cache, loads } = setup();
    void cache.urlFor(PHOTO);
    void cache.urlFor('/api/photos/photos/dev-2/b.jpg');
    expect(loads.map((load) => load.photoUrl)).toEqual([PHOTO, '/api/photos/photos/dev-2/b.jpg']);
  });

  it('does not remember a failure: the next redraw asks again', async () => {
    const { cache, loads } = setup();
    const failed = cache.urlFor(PHOTO);
    loads[0]?.reject(new Error('HTTP 503'));
    await expect(failed).rejects.toThrow('HTTP 503');
    void cache.urlFor(PHOTO);
    expect(loads).toHaveLength(2);
  });

  it('forgets links that have lapsed, so it does not grow with every coffee ever shown', async () => {
    const { cache, clock, answer } = setup();
    const first = cache.urlFor(PHOTO);
    await answer(0, { url: 'https://bucket.s3/a', expiresAtMs: T0 + 300_000 });
    await first;
    expect(cache.size).toBe(1);
    clock.now = T0 + 600_000;
    void cache.urlFor('/api/photos/photos/dev-2/b.jpg');
    expect(cache.size).toBe(1);
  });
});

describe('parsePhotoLink', () => {
  it('reads the API’s answer, the expiry as epoch ms', () => {
    expect(
      parsePhotoLink({
        url: 'https://b.s3.eu-west-1.amazonaws.com/p?X-Amz-Signature=1',
        expiresAt: '2026-03-02T12:05:00.000Z',
      }),
    ).toEqual({
      url: 'https://b.s3.eu-west-1.amazonaws.com/p?X-Amz-Signature=1',
      expiresAtMs: T0 + 300_000,
    });
  });

  it.each([
    null,
    { url: 'http://b.s3/p', expiresAt: '2026-03-02T12:05:00.000Z' },
    { url: 'javascript:alert(1)', expiresAt: '2026-03-02T12:05:00.000Z' },
    { url: 'https://b.s3/p', expiresAt: 'soon' },
    { url: 'https://b.s3/p' },
  ])('refuses %j', (body) => {
    expect(() => parsePhotoLink(body)).toThrow(/the API's photo link is not/);
  });
});
