import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSigningKey, signBundle } from '../update/bundle-signing.js';

/** `npm run release`'s file names: coffee-iot-agent-VERSION-linux-ARCH.tar.gz. */
const RELEASE_FILE = /^coffee-iot-agent-(.+)-linux-[a-z0-9]+\.tar\.gz$/;

export class UpdateJobError extends Error {
  override readonly name = 'UpdateJobError';
}

export interface UpdateJobRequest {
  /** The release tarball on this machine. */
  readonly bundlePath: string;
  /** The operator's ECDSA P-256 private key (coffee-iot sign-bundle --generate-key). */
  readonly keyPath: string;
  /** Where devices fetch it: a presigned HTTPS URL; absent = this file (the local stack's devices share this machine). */
  readonly url: string | undefined;
  /** Absent = from the file name. */
  readonly version: string | undefined;
  readonly healthTimeoutSeconds: number | undefined;
}

/**
 * The parameters of an update-agent job from the bundle itself: its SHA-256 and signature are
 * computed here, from the same bytes the devices will check, so nothing is copied by hand.
 */
export async function updateJobParameters(request: UpdateJobRequest): Promise<Record<string, unknown>> {
  const version = request.version ?? RELEASE_FILE.exec(basename(request.bundlePath))?.[1];
  if (version === undefined) {
    throw new UpdateJobError(
      `cannot tell the version from "${basename(request.bundlePath)}" (expected coffee-iot-agent-VERSION-linux-ARCH.tar.gz): give --version`,
    );
  }
  const [bundle, keyPem] = await Promise.all([
    readFile(request.bundlePath).catch((error: unknown) => {
      throw new UpdateJobError(`cannot read the bundle ${request.bundlePath}: ${(error as Error).message}`, {
        cause: error,
      });
    }),
    readFile(request.keyPath).catch((error: unknown) => {
      throw new UpdateJobError(
        `cannot read the signing key ${request.keyPath}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }),
  ]);
  const signature = signBundle(bundle, parseSigningKey(keyPem, request.keyPath));
  return {
    version,
    bundle: {
      url: request.url ?? pathToFileURL(request.bundlePath).href,
      sha256: signature.sha256,
      signature: signature.base64,
    },
    ...(request.healthTimeoutSeconds === undefined
      ? {}
      : { healthTimeoutSeconds: request.healthTimeoutSeconds }),
  };
}
