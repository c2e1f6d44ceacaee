// The simulated fleet's process: one real agent per device (mock sensors, mock camera), in a
// process of its own as on a Pi, so the stack's analyzer and lake never share its event loop.
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import {
  EXIT_RESTART_REQUESTED,
  type LogLevel,
  loadConfig,
  type ProcessHooks,
  runAgent,
  systemClock,
} from '@coffee-iot/device';
import { openDeviceLog } from './device-log-file.js';
import type { FleetSpec, FromFleet, ToFleet } from './fleet-messages.js';
import { RemotePressTrigger } from './remote-trigger.js';

type Loaded = Awaited<ReturnType<typeof loadConfig>>;

const START_GROUP = 25;
const START_GROUP_GAP_MS = 250;

/** To the stack, while it listens: after it has gone (or hung up) there is nobody to tell. */
const send = (message: FromFleet) => {
  if (process.connected) process.send?.(message);
};

async function main(specPath: string): Promise<void> {
  const spec = JSON.parse(await readFile(specPath, 'utf8')) as FleetSpec;
  const shutdownListeners = new Set<(signal: NodeJS.Signals) => void>();
  let stopSignal: NodeJS.Signals | undefined;
  const hooks: ProcessHooks = {
    pid: process.pid,
    onShutdownSignal(listener) {
      // An agent still starting when the stop came is told at once, so none is left running.
      if (stopSignal !== undefined) {
        const signal = stopSignal;
        queueMicrotask(() => listener(signal));
        return () => undefined;
      }
      shutdownListeners.add(listener);
      return () => shutdownListeners.delete(listener);
    },
  };
  const stopAll = (signal: NodeJS.Signals) => {
    stopSignal ??= signal;
    for (const listener of [...shutdownListeners]) listener(signal);
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  // The stack is gone (crashed or killed): nobody will ask us to stop, so stop now.
  process.on('disconnect', () => stopAll('SIGTERM'));

  const triggers = new Map<string, RemotePressTrigger>();
  process.on('message', (message: ToFleet) => {
    if (message.type === 'stop') return stopAll('SIGTERM');
    const trigger = triggers.get(message.deviceId);
    if (trigger === undefined) {
      send({
        type: 'press-result',
        id: message.id,
        status: 404,
        error: `no simulated device "${message.deviceId}"`,
      });
      return;
    }
    const answer = trigger.press();
    if (answer === null) {
      const error = `device "${message.deviceId}" is not ready for presses yet; try again in a moment`;
      send({ type: 'press-result', id: message.id, status: 503, error });
      return;
    }
    const error =
      answer.status === 202 ? null : String(answer.body.error ?? `the device answered ${answer.status}`);
    send({ type: 'press-result', id: message.id, status: answer.status, error });
  });

  /** One device; a restart job (exit 75) starts its agent again, as systemd does on a Pi. */
  const runDevice = async (configPath: string, loaded: Loaded): Promise<number> => {
    for (let restart = false; ; restart = true) {
      // Read again on a restart, as a Pi's agent would (an update or a rotation may have changed it).
      const { config, warnings } = restart ? await loadConfig({ configPath, env: {} }) : loaded;
      // Its own log file too, which its upload-logs job reads (a Pi reads its journal instead).
      const deviceLog = openDeviceLog(config.stateDir, spec.logLevel as LogLevel);
      const agentLogger = deviceLog.logger.child({ thing: config.thingName });
      const trigger = new RemotePressTrigger(systemClock, agentLogger);
      triggers.set(config.thingName, trigger);
      try {
        const code = await runAgent(config, {
          logger: agentLogger,
          warnings,
          processHooks: hooks,
          triggers: [trigger],
          logFile: deviceLog.path,
        });
        if (code !== EXIT_RESTART_REQUESTED || stopSignal !== undefined) return code;
        agentLogger.info('a job asked for a restart: starting the agent again');
      } finally {
        await deviceLog.close();
      }
    }
  };
  const runs: Promise<number>[] = [];
  for (const [index, configPath] of spec.configPaths.entries()) {
    // Hundreds of agents opening spools and TLS sessions at once stall this event loop for
    // seconds and their samplers skip ticks: start them in small groups.
    if (index > 0 && index % START_GROUP === 0) await delay(START_GROUP_GAP_MS);
    runs.push(runDevice(configPath, await loadConfig({ configPath, env: {} })));
  }
  send({ type: 'started', devices: runs.length });
  const exitCodes = await Promise.all(runs);
  send({ type: 'stopped', exitCodes });
  if (process.connected) process.disconnect?.();
}

const specPath = process.argv[2];
if (specPath === undefined) {
  process.stderr.write('usage: fleet-main SPEC.json (started by the local stack)\n');
  process.exitCode = 2;
} else {
  main(specPath).catch((error: unknown) => {
    send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    process.stderr.write(`fleet failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
