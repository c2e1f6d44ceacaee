import type { AgentConfig, LoadedConfig } from '../config/agent-config.js';
import { ConfigError } from '../config/config-error.js';
import { type ConfigSources, loadConfig } from '../config/load-config.js';
import { type CheckResult, describeError, fail, ok, warn } from './check-result.js';
import { checkCamera } from './checks/camera.js';
import { checkCertificate } from './checks/certificate.js';
import { checkClockSync } from './checks/clock-sync.js';
import { checkCredentialProvider } from './checks/credential-provider.js';
import { checkEndpointDns, checkTlsHandshake } from './checks/endpoint.js';
import { checkGpio } from './checks/gpio.js';
import { checkNativeModules } from './checks/native-modules.js';
import { checkNodeVersion } from './checks/node-version.js';
import { checkSenseHatI2c } from './checks/sense-hat-i2c.js';
import { checkStateDir } from './checks/state-dir.js';
import type { DoctorPorts } from './doctor-ports.js';

interface ConfigOutcome {
  result: CheckResult;
  /** Usable for the other checks even when `result` failed (e.g. only a PEM file is missing). */
  config: AgentConfig | null;
}

/**
 * Loads the configuration the way `run` does. A configuration whose only problems are the PEM
 * files is still usable for the other checks, which then say more about those files.
 */
function loadForDoctor(sources: ConfigSources): ConfigOutcome {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(sources);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const detail = `invalid: ${error.problems.join('; ')}`;
    const fix = 'fix the keys named (coffee-iot-agent --help lists every key)';
    let config: AgentConfig | null = null;
    try {
      config = loadConfig({ ...sources, checkFiles: false }).config;
    } catch {
      // Broken beyond the files: the checks that need it are left out.
    }
    const more = config
      ? ''
      : '; the certificate, endpoint, TLS, state directory and credential checks need it';
    return { result: fail('configuration', detail, `${fix}${more}`), config };
  }
  const { config, warnings } = loaded;
  const result =
    warnings.length > 0
      ? warn('configuration', warnings.join('; '), 'see the warning')
      : ok('configuration', 'valid');
  return { result, config };
}

/** A check that throws is a failing check, never a crashed doctor. */
async function guarded(
  name: string,
  check: () => Promise<CheckResult | CheckResult[]>,
): Promise<CheckResult[]> {
  try {
    const result = await check();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    return [fail(name, `the check itself failed: ${describeError(error)}`, 'report this as a bug')];
  }
}

/** Mock mode when the configuration cannot say: the flag or the variable. */
function mockFromSources(sources: ConfigSources): boolean {
  return sources.flags?.mock === true || sources.env.COFFEE_IOT_MOCK === 'true';
}

/** Runs every check in a fixed order and returns one result per line of the report. */
export async function runDoctor(sources: ConfigSources, ports: DoctorPorts): Promise<CheckResult[]> {
  const { result: configResult, config } = loadForDoctor(sources);
  const mock = config?.mock ?? mockFromSources(sources);
  const results: CheckResult[] = [configResult, checkNodeVersion(ports.nodeVersion)];
  const add = async (name: string, check: () => Promise<CheckResult | CheckResult[]>) => {
    results.push(...(await guarded(name, check)));
  };

  await add('native modules', () =>
    checkNativeModules(ports.loadModule, { mock, transport: config?.transport ?? 'auto', arch: ports.arch }),
  );
  if (mock) {
    results.push(ok('hardware', 'Sense HAT, camera and GPIO not used in mock mode'));
  } else {
    await add('Sense HAT', () => checkSenseHatI2c(ports.fs, ports.i2cProbe));
    await add('camera', () => checkCamera(ports.run));
    if (config) await add('GPIO', () => checkGpio(ports.fs, ports.mapGpioLine, config.button.pin));
  }
  await add('clock', () => checkClockSync(ports.fs, ports.run));
  if (!config) return results;

  await add('certificate', () => checkCertificate(ports.fs, config, ports.now()));
  const dns = await guarded('endpoint DNS', () => checkEndpointDns(ports.lookup, config.endpoint));
  results.push(...dns);
  if (dns.every((result) => result.status !== 'fail')) {
    await add('TLS handshake', () => checkTlsHandshake(ports.fs, ports.tlsConnect, config));
  }
  await add('state directory', () =>
    checkStateDir(ports.fs, {
      stateDir: config.stateDir,
      capBytes: config.spool.maxBytes + config.outbox.maxBytes,
    }),
  );
  const { upload, credentials } = config;
  if (upload.bucket === undefined) {
    results.push(ok('credential provider', 'not used: upload.bucket is unset'));
  } else if (upload.devStaticCredentials) {
    results.push(ok('credential provider', 'not used: upload.devStaticCredentials (local stack)'));
  } else {
    await add('credential provider', () =>
      checkCredentialProvider(ports.fetchCredentials, {
        // Both are required with a bucket (checked at load).
        endpoint: credentials.endpoint as string,
        roleAlias: credentials.roleAlias as string,
        thingName: config.thingName,
        cert: config.cert,
        key: config.key,
        rootCa: config.rootCa,
      }),
    );
  }
  return results;
}

/** 0 when no check failed (warnings allowed), 1 otherwise. */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}
