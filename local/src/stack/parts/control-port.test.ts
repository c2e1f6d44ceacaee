import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PortInUseError } from '../stack-errors.js';
import { ensureControlPortFree } from './control-port.js';

describe('the control port', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      if (server.listening) {
        server.close();
        await once(server, 'close');
      }
    }
  });

  async function listener(host: string): Promise<number> {
    const server = createServer();
    servers.push(server);
    server.listen(0, host);
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  it.each(['127.0.0.1', '0.0.0.0'])(
    'held by another program (on %s) is refused, naming the port and --control-port',
    async (host) => {
      const port = await listener(host);
      const error = await ensureControlPortFree(port).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect(error).toMatchObject({ port, flag: '--control-port' });
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toContain('--control-port N');
    },
  );

  it('that is free is left free for the device to take', async () => {
    const port = await listener('127.0.0.1');
    servers[0]?.close();
    await once(servers[0] as Server, 'close');
    await ensureControlPortFree(port);
    // Taken again at once: the check let go of it.
    const again = createServer();
    servers.push(again);
    again.listen(port, '127.0.0.1');
    await once(again, 'listening');
  });

  it('0 (off) is not checked', async () => {
    await expect(ensureControlPortFree(0)).resolves.toBeUndefined();
  });
});
