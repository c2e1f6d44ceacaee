import { lstat, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AMAZON_ROOT_CA_1_PEM } from './amazon-root-ca.js';
import { describeError } from './aws-errors.js';

/**
 * Where the files go on the Pi: the agent reads /etc/coffee-iot/agent.json by default, and the
 * installer (device/scripts/install-pi.sh, CONFIG_DIR) tells the operator to put the certificate,
 * key and CA next to it under these names.
 */
export const PI_CONFIG_DIR = '/etc/coffee-iot';

export const BUNDLE_FILE_NAMES = {
  certificate: 'certificate.pem.crt',
  privateKey: 'private.pem.key',
  rootCa: 'AmazonRootCA1.pem',
  agentConfig: 'agent.json',
} as const;

/** AWS IoT Core's MQTT over TLS port. */
export const MQTT_TLS_PORT = 8883;

export interface BundleFile {
  /** A plain file name, written inside the bundle directory. */
  name: string;
  content: string;
  /** The mode the file is created with (the umask may only take bits away). */
  mode: number;
}

/** What agent.json says: the keys device/src/config/config-schema.ts defines; the rest take defaults. */
export interface DeviceAgentConfig {
  thingName: string;
  endpoint: string;
  port: number;
  cert: string;
  key: string;
  rootCa: string;
  credentials: { endpoint: string; roleAlias: string };
  upload: { bucket: string; region: string };
}

export interface DeviceSettings {
  thingName: string;
  /** The iot:Data-ATS endpoint host. */
  dataEndpoint: string;
  /** The iot:CredentialProvider endpoint host. */
  credentialsEndpoint: string;
  roleAlias: string;
  bucket: string;
  region: string;
}

/** agent.json for the device, with the PEM files where the Pi keeps them. */
export function deviceAgentConfig(settings: DeviceSettings): DeviceAgentConfig {
  return {
    thingName: settings.thingName,
    endpoint: settings.dataEndpoint,
    port: MQTT_TLS_PORT,
    cert: `${PI_CONFIG_DIR}/${BUNDLE_FILE_NAMES.certificate}`,
    key: `${PI_CONFIG_DIR}/${BUNDLE_FILE_NAMES.privateKey}`,
    rootCa: `${PI_CONFIG_DIR}/${BUNDLE_FILE_NAMES.rootCa}`,
    credentials: { endpoint: settings.credentialsEndpoint, roleAlias: settings.roleAlias },
    upload: { bucket: settings.bucket, region: settings.region },
  };
}

/** The four files of a device bundle; the private key readable by its owner only. */
export function deviceBundleFiles(parts: {
  certificatePem: string;
  privateKey: string;
  agentConfig: DeviceAgentConfig;
}): BundleFile[] {
  return [
    { name: BUNDLE_FILE_NAMES.certificate, content: parts.certificatePem, mode: 0o644 },
    { name: BUNDLE_FILE_NAMES.privateKey, content: parts.privateKey, mode: 0o600 },
    { name: BUNDLE_FILE_NAMES.rootCa, content: AMAZON_ROOT_CA_1_PEM, mode: 0o644 },
    {
      name: BUNDLE_FILE_NAMES.agentConfig,
      content: `${JSON.stringify(parts.agentConfig, null, 2)}\n`,
      mode: 0o644,
    },
  ];
}

/** The bundle directory is there already and --force was not given. */
export class BundleExistsError extends Error {
  override readonly name = 'BundleExistsError';
  constructor(readonly dir: string) {
    super(`${dir} already exists: choose another --out DIR, or give --force to replace it`);
  }
}

/** The bundle could not be written (or its place is unusable); `leftBehind` is a partial copy not removed. */
export class BundleWriteError extends Error {
  override readonly name = 'BundleWriteError';
  constructor(
    readonly dir: string,
    message: string,
    readonly leftBehind: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `dir` exists: as a directory true, not at all false; anything else is an error. */
async function existingDirectory(dir: string, force: boolean): Promise<boolean> {
  let entry: Awaited<ReturnType<typeof lstat>>;
  try {
    entry = await lstat(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw new BundleWriteError(dir, `cannot inspect ${dir}: ${describeError(error)}`, undefined, {
      cause: error,
    });
  }
  if (!force) throw new BundleExistsError(dir);
  if (!entry.isDirectory()) {
    throw new BundleWriteError(
      dir,
      `${dir} exists and is not a directory: --force replaces directories only`,
      undefined,
    );
  }
  return true;
}

/**
 * Checks, before anything is created in AWS, that the bundle can go to `dir`: its parent is a
 * directory, and `dir` is not there (or `force` and it is a directory). Throws BundleExistsError
 * or BundleWriteError.
 */
export async function checkBundleTarget(dir: string, options: { force: boolean }): Promise<void> {
  const parent = dirname(resolve(dir));
  const parentProblem = await stat(parent).then(
    (entry) => (entry.isDirectory() ? undefined : 'is not a directory'),
    (error: unknown) => (errnoCode(error) === 'ENOENT' ? 'does not exist' : describeError(error)),
  );
  if (parentProblem !== undefined) {
    throw new BundleWriteError(dir, `cannot write ${dir}: ${parent} ${parentProblem}`, undefined);
  }
  await existingDirectory(dir, options.force);
}

/**
 * Writes the bundle into a fresh directory next to `dir` and renames it into place, so `dir`
 * either holds the whole bundle or is not there at all. Each file is created with its mode (the
 * private key is never readable by others, not even for a moment) and exclusively ('wx'). The
 * directory is created 0700. An existing `dir` is an error (BundleExistsError) unless `force`,
 * which replaces it. On failure the partial directory is removed; if even that fails,
 * BundleWriteError.leftBehind names it.
 */
export async function writeDeviceBundle(
  dir: string,
  files: readonly BundleFile[],
  options: { force: boolean },
): Promise<void> {
  const target = resolve(dir);
  let staging: string;
  try {
    staging = await mkdtemp(join(dirname(target), `.${basename(target)}.partial-`));
  } catch (error) {
    throw new BundleWriteError(
      dir,
      `cannot create the bundle next to ${dir}: ${describeError(error)}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  try {
    for (const file of files) {
      await writeFile(join(staging, file.name), file.content, { mode: file.mode, flag: 'wx' });
    }
    if (await existingDirectory(target, options.force)) await rm(target, { recursive: true });
    await rename(staging, target);
  } catch (error) {
    const leftBehind = await rm(staging, { recursive: true, force: true }).then(
      () => undefined,
      () => staging,
    );
    if (error instanceof BundleExistsError && leftBehind === undefined) throw error;
    const partial = leftBehind === undefined ? '' : `; the partial bundle ${leftBehind} could not be removed`;
    throw new BundleWriteError(
      dir,
      `writing the bundle to ${dir} failed: ${describeError(error)}${partial}`,
      leftBehind,
      {
        cause: error,
      },
    );
  }
}
