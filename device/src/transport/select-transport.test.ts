import { describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger } from '../ports/logger.js';
import type { AwsIotSdk, AwsIotSdkLoader } from './aws-crt-transport.js';
import { createTransport } from './select-transport.js';
import { type MqttConnectionOptions, TransportUnavailableError } from './transport-port.js';

const options: MqttConnectionOptions = {
  endpoint: 'example-ats.iot.eu-west-1.amazonaws.com',
  port: 8883,
  clientId: 'coffee-pi',
  certPath: '/etc/coffee-iot/device.crt',
  keyPath: '/etc/coffee-iot/device.key',
  caPath: '/etc/coffee-iot/AmazonRootCA1.pem',
  keepAliveSeconds: 30,
  connectTimeoutMs: 10_000,
};

/** What the real loader throws on a 32-bit Pi, where aws-crt has no binary. */
const armv7Loader: AwsIotSdkLoader = async () => {
  throw new TransportUnavailableError('aws-iot-device-sdk-v2 (aws-crt) cannot be loaded on linux-arm', {
    cause: new Error('Cannot find module aws-crt/dist/bin/linux-arm/aws-crt-nodejs.node'),
  });
};

/** The constructor does not touch the SDK, so an empty stand-in is enough to tell which transport was built. */
const loadedSdk: AwsIotSdkLoader = async () => ({}) as AwsIotSdk;

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    },
  } as NodeJS.WritableStream);
  return { logger, lines };
}

describe('createTransport', () => {
  it('prefers aws-crt when it loads', async () => {
    const transport = await createTransport('auto', options, silentLogger(), { loadAwsIotSdk: loadedSdk });

    expect(transport.name).toBe('aws-crt');
  });

  it('falls back to mqtt.js when aws-crt cannot load, and logs why', async () => {
    const { logger, lines } = capturingLogger();

    const transport = await createTransport('auto', options, logger, { loadAwsIotSdk: armv7Loader });

    expect(transport.name).toBe('mqtt.js');
    const warning = lines.find((line) => line.level === 40);
    expect(warning?.msg).toMatch(/aws-crt unavailable/);
    expect(JSON.stringify(warning?.err)).toContain('cannot be loaded on linux-arm');
  });

  it('fails clearly when aws-crt is chosen explicitly but cannot load', async () => {
    const error = await createTransport('aws-crt', options, silentLogger(), {
      loadAwsIotSdk: armv7Loader,
    }).catch((rejection: unknown) => rejection);

    expect(error).toBeInstanceOf(TransportUnavailableError);
    expect((error as Error).message).toMatch(/transport "aws-crt" is configured.*linux-arm.*"mqtt\.js"/);
    expect((error as Error).cause).toBeInstanceOf(TransportUnavailableError);
  });

  it('never loads aws-crt when mqtt.js is chosen', async () => {
    const loader = vi.fn(armv7Loader);

    const transport = await createTransport('mqtt.js', options, silentLogger(), { loadAwsIotSdk: loader });

    expect(transport.name).toBe('mqtt.js');
    expect(loader).not.toHaveBeenCalled();
  });

  it('does not hide an unexpected loader failure behind the fallback', async () => {
    const broken: AwsIotSdkLoader = async () => {
      throw new RangeError('bug in the loader');
    };

    await expect(createTransport('auto', options, silentLogger(), { loadAwsIotSdk: broken })).rejects.toThrow(
      RangeError,
    );
  });
});
