import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Larger than any release (about 15 MB) by far; a bigger download is refused, not buffered. */
export const MAX_BUNDLE_BYTES = 200 * 1024 * 1024;

export class BundleDownloadError extends Error {
  override readonly name = 'BundleDownloadError';
}

export type BundleFetcher = (url: string, signal: AbortSignal) => Promise<Uint8Array>;

/**
 * The bundle's bytes, into memory: they are verified before anything is written, so a refused
 * bundle leaves nothing on disk. HTTPS (an S3 presigned URL) or HTTP through fetch; file:// URLs
 * and absolute paths (the local stack, tests) from the file system.
 */
export const fetchBundle: BundleFetcher = async (url, signal) => {
  if (url.startsWith('/') || url.startsWith('file:')) {
    const path = url.startsWith('/') ? url : fileURLToPath(url);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw new BundleDownloadError(`bundle ${path} cannot be read (${(error as Error).message})`, {
        cause: error,
      });
    }
    if (size > MAX_BUNDLE_BYTES)
      throw new BundleDownloadError(`bundle ${path} is ${size} bytes, over ${MAX_BUNDLE_BYTES}`);
    return readFile(path, { signal });
  }
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (error) {
    throw new BundleDownloadError(`bundle download failed: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) {
    throw new BundleDownloadError(
      `bundle download failed: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  const length = Number(response.headers.get('content-length'));
  if (length > MAX_BUNDLE_BYTES) {
    await response.body?.cancel();
    throw new BundleDownloadError(`bundle is ${length} bytes, over ${MAX_BUNDLE_BYTES}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_BUNDLE_BYTES)
    throw new BundleDownloadError(`bundle is over ${MAX_BUNDLE_BYTES} bytes`);
  return bytes;
};
