import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirError, DataDirInUseError, PortInUseError } from '../../../local/src/stack/stack-errors.js';
import { startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, server };
}

describe('the local stack explains what stops it from starting', () => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let taken: { port: number; server: Server };

  beforeAll(async () => {
    dataDir = await tempDataDir();
    taken = await occupiedPort();
  });
  afterAll(async () => {
    taken?.server.close();
    await dataDir?.remove();
  });

  it.each([
    ['dashboard', 'dashboardPort', '--dashboard-port'],
    ['MQTT broker', 'brokerPort', '--port'],
    ['local S3', 's3Port', '--s3-port'],
    ['local Kinesis', 'kinesisPort', '--kinesis-port'],
  ] as const)(
    'a %s port in use names the port and the flag',
    async (_part, option, flag) => {
      const started = startTestStack(testStackOptions(dataDir.path, { devices: 0, [option]: taken.port }));
      const error = await started.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toContain(String(taken.port));
      expect((error as Error).message).toContain(flag);
    },
    60_000,
  );

  it('a control port in use is refused before the devices start, naming the port and the flag', async () => {
    // The device that would bind it runs in the fleet's process and could only log the failure,
    // while the stack advertised the other program's URL as coffee-pi-1's.
    const error = await startTestStack(
      testStackOptions(dataDir.path, { devices: 1, controlPort: taken.port }),
    ).then(
      async (stack) => {
        await stack.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toContain(String(taken.port));
    expect((error as Error).message).toContain('--control-port');
  }, 60_000);

  it('stops what it had started, so the next start on the same directory works', async () => {
    const stack = await startTestStack(testStackOptions(dataDir.path, { devices: 0 }));
    await stack.stop();
  }, 60_000);

  it('refuses a second stack on a data directory in use, naming it', async () => {
    const first = await startTestStack(testStackOptions(dataDir.path, { devices: 0 }));
    try {
      const error = await startTestStack(testStackOptions(dataDir.path, { devices: 0 })).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DataDirInUseError);
      expect((error as Error).message).toContain(`pid ${process.pid}`);
    } finally {
      await first.stop();
    }
  }, 60_000);

  it('names a data directory it cannot create', async () => {
    const file = join(dataDir.path, 'a-file');
    await writeFile(file, 'not a directory');
    const error = await startTestStack(testStackOptions(join(file, 'data'), { devices: 0 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataDirError);
    expect((error as Error).message).toContain(join(file, 'data'));
    expect((error as Error).message).toContain('--data-dir');
  });
});
