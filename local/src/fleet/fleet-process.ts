import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@coffee-iot/device';
import { UnknownDeviceError } from '../dashboard/dashboard-source.js';
import type { FleetSpec, FromFleet, ToFleet } from './fleet-messages.js';

/** When the stack itself runs from TypeScript (tests, benchmarks), the child must too. */
function childEntry(): { path: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(fromSource ? './fleet-main.ts' : './fleet-main.js', import.meta.url));
  return {
    path,
    execArgv: fromSource ? ['--conditions=coffee-iot-source', '--import', 'tsx'] : [],
  };
}

export interface FleetProcessOptions {
  specPath: string;
  spec: FleetSpec;
  thingNames: readonly string[];
  logger: Logger;
  /** Agents stop within 5 s; past this the process is killed. */
  stopTimeoutMs?: number;
}

/** The simulated devices' process, driven over IPC: presses in, lifecycle out. */
export class FleetProcess {
  private child: ChildProcess | undefined;
  private nextPressId = 1;
  private readonly pendingPresses = new Map<
    number,
    { resolve: () => void; reject: (error: Error) => void }
  >();
  private readonly things: Set<string>;

  constructor(private readonly options: FleetProcessOptions) {
    this.things = new Set(options.thingNames);
  }

  async start(): Promise<void> {
    await writeFile(this.options.specPath, `${JSON.stringify(this.options.spec, null, 2)}\n`);
    const entry = childEntry();
    const child = fork(entry.path, [this.options.specPath], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: Ctrl-C reaches the stack, which stops the fleet first and in
      // order. Should the stack die, the fleet sees the IPC channel close and stops itself.
      detached: true,
      // The stack's process has already shown the AWS SDK's Node-version notice once.
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.child = child;
    child.on('message', (message: FromFleet) => this.onMessage(message));
    child.on('exit', (code, signal) => {
      for (const pending of this.pendingPresses.values())
        pending.reject(new Error('the fleet process exited'));
      this.pendingPresses.clear();
      if (this.child === child) {
        this.options.logger.error({ code, signal }, 'the simulated fleet exited unexpectedly');
        this.child = undefined;
      }
    });
    const [first] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => [{ type: 'failed', error: `exited with code ${code}` }]),
    ])) as [FromFleet];
    if (first.type !== 'started') {
      await this.stop();
      throw new Error(
        `the simulated fleet did not start: ${first.type === 'failed' ? first.error : first.type}`,
      );
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  press(deviceId: string): Promise<void> {
    if (!this.things.has(deviceId)) return Promise.reject(new UnknownDeviceError(deviceId));
    const child = this.child;
    if (child === undefined) return Promise.reject(new Error('the simulated fleet is not running'));
    const id = this.nextPressId++;
    return new Promise<void>((resolve, reject) => {
      this.pendingPresses.set(id, { resolve, reject });
      child.send({ type: 'press', id, deviceId } satisfies ToFleet);
    });
  }

  /** Asks every agent to stop (they flush and close within 5 s); kills the process past the timeout. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    this.child = undefined;
    const exited = once(child, 'exit');
    if (child.connected) child.send({ type: 'stop' } satisfies ToFleet);
    else child.kill('SIGTERM');
    const timeout = setTimeout(() => {
      this.options.logger.error('the simulated fleet did not stop in time; killing it');
      child.kill('SIGKILL');
    }, this.options.stopTimeoutMs ?? 8000);
    await exited;
    clearTimeout(timeout);
  }

  private onMessage(message: FromFleet): void {
    if (message.type === 'press-result') {
      const pending = this.pendingPresses.get(message.id);
      this.pendingPresses.delete(message.id);
      if (message.error === null) pending?.resolve();
      else pending?.reject(new Error(message.error));
    } else if (message.type === 'stopped' && message.exitCodes.some((code) => code !== 0)) {
      this.options.logger.warn({ exitCodes: message.exitCodes }, 'some agents did not stop cleanly');
    }
  }
}
