import type { TransportChoice } from '../../config/agent-config.js';
import { classifyDriverFailure } from '../../driver-failure.js';
import { type CheckResult, describeError, fail, ok, warn } from '../check-result.js';
import type { ModuleLoader } from '../doctor-ports.js';

/** Architectures aws-crt ships a binary for; elsewhere `auto` uses MQTT.js by design. */
export const AWS_CRT_ARCHES: readonly string[] = ['x64', 'arm64'];

/** The Sense HAT and GPIO modules, and what each is for. nodeimu is node-sense-hat's native part. */
const HARDWARE_MODULES: readonly { name: string; purpose: string }[] = [
  { name: 'node-sense-hat', purpose: 'Sense HAT sensors' },
  { name: 'nodeimu', purpose: 'Sense HAT sensors (native)' },
  { name: 'sense-hat-led', purpose: 'LED matrix' },
  { name: 'onoff', purpose: 'GPIO button' },
];

export interface NativeModuleOptions {
  mock: boolean;
  transport: TransportChoice;
  arch: string;
}

/** Node's `process.arch` as the release tarballs name it: a 32-bit Pi's Node says `arm`. */
export function releaseArch(arch: string): string {
  return arch === 'arm' ? 'armv7l' : arch;
}

function reinstall(arch: string): string {
  const name = releaseArch(arch);
  return (
    `reinstall from the release tarball for linux-${name} (install-pi.sh --from ` +
    `coffee-iot-agent-VERSION-linux-${name}.tar.gz): it carries every native module prebuilt`
  );
}

/**
 * `bindings` lists every path it tried, which says nothing on one line: name the native module
 * whose build is missing instead.
 */
function explainLoadError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Could not locate the bindings file/.test(message)) {
    const native = /node_modules\/([^/\s]+)\/build\//.exec(message)?.[1];
    if (native) return `its native module ${native} was never built (no ${native}.node in the install)`;
  }
  return describeError(error);
}

async function loadError(load: ModuleLoader, name: string): Promise<unknown> {
  try {
    await load(name);
    return undefined;
  } catch (error) {
    return error ?? new Error(`${name} threw ${String(error)}`);
  }
}

/** One result per native module the agent may load here: it loads, or what is wrong and the fix. */
export async function checkNativeModules(
  load: ModuleLoader,
  options: NativeModuleOptions,
): Promise<CheckResult[]> {
  const { arch } = options;
  const results: CheckResult[] = [];

  const sqlite = await loadError(load, 'better-sqlite3');
  results.push(
    sqlite === undefined
      ? ok('module better-sqlite3', 'loads (spool)')
      : fail('module better-sqlite3', `cannot load: ${describeError(sqlite)}`, reinstall(arch)),
  );

  const name = 'module aws-crt';
  if (options.transport === 'mqtt.js') {
    results.push(ok(name, 'not used: transport is mqtt.js'));
  } else if (!AWS_CRT_ARCHES.includes(arch)) {
    results.push(
      options.transport === 'aws-crt'
        ? fail(
            name,
            `transport is aws-crt but aws-crt has no binary for ${arch}`,
            'set transport to "auto" or "mqtt.js"',
          )
        : ok(name, `not used on ${arch}: the MQTT.js transport is chosen`),
    );
  } else {
    const crt = await loadError(load, 'aws-crt');
    if (crt === undefined) results.push(ok(name, 'loads (MQTT transport)'));
    else if (options.transport === 'aws-crt') {
      results.push(fail(name, `cannot load: ${describeError(crt)}`, reinstall(arch)));
    } else {
      results.push(
        warn(name, `cannot load, so the agent falls back to MQTT.js: ${describeError(crt)}`, reinstall(arch)),
      );
    }
  }

  if (options.mock) {
    results.push(ok('hardware modules', 'not used in mock mode'));
    return results;
  }
  for (const { name: module, purpose } of HARDWARE_MODULES) {
    const error = await loadError(load, module);
    const label = `module ${module}`;
    if (error === undefined) results.push(ok(label, `loads (${purpose})`));
    else if (classifyDriverFailure(error) === 'module-missing') {
      results.push(
        fail(
          label,
          `missing from the install or cannot load here: ${explainLoadError(error)}`,
          reinstall(arch),
        ),
      );
    } else {
      // It resolved and loaded, then its start-up code found no hardware.
      results.push(
        warn(
          label,
          `installed, but it reports: ${describeError(error)}`,
          'see the I2C and Sense HAT checks (HAT seated? I2C enabled?)',
        ),
      );
    }
  }
  return results;
}
