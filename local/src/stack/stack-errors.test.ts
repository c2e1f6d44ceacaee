import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isAddressInUse, listenOrExplain, PortInUseError } from './stack-errors.js';

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

describe('listenOrExplain', () => {
  const servers: Server[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      if (server.listening) {
        server.close();
        await once(server, 'close');
      }
    }
  });

  async function occupiedPort(): Promise<number> {
    const holder = createServer();
    servers.push(holder);
    await listen(holder, 0);
    return (holder.address() as AddressInfo).port;
  }

  it('turns a real EADDRINUSE into a PortInUseError naming the part, the port and the flag', async () => {
    const port = await occupiedPort();
    const second = createServer();
    servers.push(second);

    const error = await listenOrExplain('local Kinesis', port, '--kinesis-port', () =>
      listen(second, port),
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(PortInUseError);
    expect(error).toMatchObject({
      name: 'PortInUseError',
      part: 'local Kinesis',
      port,
      flag: '--kinesis-port',
    });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain('--kinesis-port N');
    expect((error as Error).cause).toMatchObject({ code: 'EADDRINUSE' });
    expect(second.listening).toBe(false);
  });

  it('recognises EADDRINUSE wrapped as the cause of another error (as the broker reports it)', async () => {
    const port = await occupiedPort();
    const second = createServer();
    servers.push(second);

    const attempt = listenOrExplain('MQTT broker', port, '--port', async () => {
      try {
        await listen(second, port);
      } catch (error) {
        throw new Error('outer', {
          cause: new Error(`embedded broker cannot listen on ${port}`, { cause: error }),
        });
      }
    });

    await expect(attempt).rejects.toThrow(PortInUseError);
    await expect(attempt).rejects.toThrow(/--port N/);
  });

  it('passes other failures on untouched', async () => {
    const failure = Object.assign(new Error('permission denied'), { code: 'EACCES' });

    await expect(
      listenOrExplain('dashboard', 80, '--dashboard-port', () => Promise.reject(failure)),
    ).rejects.toBe(failure);
  });

  it("gives back the listen step's result", async () => {
    await expect(
      listenOrExplain('dashboard', 0, '--dashboard-port', async () => 'http://127.0.0.1:1'),
    ).resolves.toBe('http://127.0.0.1:1');
  });
});

describe('isAddressInUse', () => {
  it('looks through the cause chain and nothing else', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });

    expect(isAddressInUse(inUse)).toBe(true);
    expect(isAddressInUse(new Error('a', { cause: new Error('b', { cause: inUse }) }))).toBe(true);
    expect(isAddressInUse(new Error('a', { cause: { code: 'EADDRINUSE' } }))).toBe(false);
    expect(isAddressInUse({ code: 'EADDRINUSE' })).toBe(false);
    expect(isAddressInUse(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(false);
    expect(isAddressInUse(undefined)).toBe(false);
  });
});
