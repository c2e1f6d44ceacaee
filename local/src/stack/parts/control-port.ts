import { once } from 'node:events';
import { createServer } from 'node:net';
import { listenOrExplain } from '../stack-errors.js';

/**
 * Fails with a PortInUseError when another program holds the control port. The device that
 * binds it runs in the fleet's process, where a busy port only becomes a log line while the
 * stack goes on advertising the other program's URL as the device's. The port is let go at
 * once for the device to take a moment later.
 */
export async function ensureControlPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await listenOrExplain('control port', port, '--control-port', async () => {
    const server = createServer();
    server.listen(port, '127.0.0.1');
    // Rejects on 'error': the listen failure (EADDRINUSE) goes on to listenOrExplain.
    await once(server, 'listening');
    server.close();
    await once(server, 'close');
  });
}
