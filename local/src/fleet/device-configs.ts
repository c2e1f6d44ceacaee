import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateFilePaths } from '../pki/pki.js';
import { LOCAL_PHOTO_BUCKET } from '../s3/local-s3.js';

export interface DeviceConfigInput {
  thingName: string;
  certificate: CertificateFilePaths;
  caPath: string;
  brokerPort: number;
  s3Endpoint: string;
  /** 0: no control port. */
  controlPort: number;
  countdownSeconds: number;
  logLevel: string;
}

/**
 * Writes the device's agent.json exactly as a Pi would have it (so the local stack exercises the
 * config loader too) and returns its path. Mock sensors get a seed from the thing name, so each
 * device reads differently but the same after a restart.
 */
export async function writeDeviceConfig(devicesDir: string, input: DeviceConfigInput): Promise<string> {
  const dir = join(devicesDir, input.thingName);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const configPath = join(dir, 'agent.json');
  const config = {
    thingName: input.thingName,
    endpoint: '127.0.0.1',
    port: input.brokerPort,
    cert: input.certificate.certPath,
    key: input.certificate.keyPath,
    rootCa: input.caPath,
    stateDir: join(dir, 'state'),
    mock: true,
    mockSeed: seedOf(input.thingName),
    logLevel: input.logLevel,
    control: { port: input.controlPort },
    coffee: { countdownSeconds: input.countdownSeconds },
    // Device status on the dashboard every 15 s rather than the Pi's once a minute.
    healthIntervalSeconds: 15,
    // The embedded S3 accepts only its fixed dev keys; on a Pi the IoT credential provider
    // supplies temporary credentials instead (devStaticCredentials is refused without mock).
    upload: {
      bucket: LOCAL_PHOTO_BUCKET,
      region: 'us-east-1',
      endpoint: input.s3Endpoint,
      devStaticCredentials: true,
    },
  };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return configPath;
}

function seedOf(thingName: string): number {
  return createHash('sha256').update(thingName).digest().readUInt32BE(0) % 2 ** 31;
}
