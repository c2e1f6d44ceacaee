import { fork } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ToFleet } from './fleet-messages.js';

/**
 * The fleet's process as the stack drives it (a ChildProcess; a fake in tests). Emits
 * 'message' (FromFleet) and 'exit' (code, signal).
 */
export interface FleetChild extends EventEmitter {
  readonly pid?: number | undefined;
  readonly connected: boolean;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  send(message: ToFleet): boolean;
  kill(signal?: NodeJS.Signals): boolean;
}

/** When the stack itself runs from TypeScript (tests, benchmarks), the child must too. */
function childEntry(): { path: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(fromSource ? './fleet-main.ts' : './fleet-main.js', import.meta.url));
  return {
    path,
    execArgv: fromSource ? ['--conditions=coffee-iot-source', '--import', 'tsx'] : [],
  };
}

export function forkFleetChild(specPath: string): FleetChild {
  const entry = childEntry();
  return fork(entry.path, [specPath], {
    execArgv: entry.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Its own process group: Ctrl-C reaches the stack, which stops the fleet first and in
    // order. Should the stack die, the fleet sees the IPC channel close and stops itself.
    detached: true,
    // The stack's process has already shown the AWS SDK's Node-version notice once.
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}
