import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentConfigFor, firstArrivals, seqsOf } from '../harness/agent-config.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';
import { ROOT, releaseTarball, rssKiB, whyNotEmulated, writeEmulatedCommands } from './emulated-node.js';

// The release tarballs on emulated ARM, the way a Pi gets them: install-pi.sh --from (no
// compiler, no network) into a staging root, then the installed agent in mock mode under
// qemu-user against a mosquitto with mutual TLS, through a broker restart. Needs
// `npm run release -- --arch arm64,armv7l` first (.ci/run does it); skips, saying why, otherwise.

const INSTALLER = join(ROOT, 'device/scripts/install-pi.sh');
const RUN_MS = 32_000;
const RESTART_AT_MS = 10_000;
const OUTAGE_MS = 3_000;
const EXPECTED_TRANSPORT: Record<string, string> = { arm64: 'aws-crt', armv7l: 'mqtt.js' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Samples a process's RSS every second until stopped; the peak and the last sample. */
function sampleRss(pid: number): { stop(): { peakKiB: number; lastKiB: number } } {
  let peakKiB = 0;
  let lastKiB = 0;
  const timer = setInterval(() => {
    rssKiB(pid).then(
      (kib) => {
        lastKiB = kib;
        peakKiB = Math.max(peakKiB, kib);
      },
      () => {}, // the process has just exited
    );
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      return { peakKiB, lastKiB };
    },
  };
}

/** RSS of a bare `node -e 'setInterval(()=>{},1000)'` under the same emulation, after it settles. */
async function bareNodeRss(node: string): Promise<{ peakKiB: number; lastKiB: number }> {
  const child = spawn(node, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`could not start ${node}`);
  const sampler = sampleRss(child.pid);
  await sleep(8000);
  const rss = sampler.stop();
  child.kill('SIGTERM');
  await once(child, 'exit');
  return rss;
}

const ARCHES = ['arm64', 'armv7l'] as const;
const skipReasons = Object.fromEntries(
  await Promise.all(ARCHES.map(async (arch) => [arch, await whyNotEmulated(arch)] as const)),
);

describe.each(ARCHES)('release tarball for %s under qemu-user', (arch) => {
  const skip = skipReasons[arch];
  const thing = `coffee-pi-${arch}`;
  const telemetry = `dt/coffee-iot/${thing}/telemetry`;
  let dir: string;
  let stack: ObservedMosquitto | undefined;
  let agent: ChildProcess | undefined;

  afterAll(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGKILL');
      await once(agent, 'exit');
    }
    await stack?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(skip !== undefined)(
    `installs offline and delivers every seq through a broker restart over ${EXPECTED_TRANSPORT[arch]}${skip ? ` (skipped: ${skip})` : ''}`,
    { timeout: 600_000 },
    async () => {
      const started = Date.now();
      dir = await mkdtemp(join(tmpdir(), `coffee-iot-${arch}-smoke-`));
      const node = await writeEmulatedCommands(join(dir, 'bin'), arch);
      const env = { PATH: `${join(dir, 'bin')}${delimiter}${process.env.PATH ?? ''}`, TMPDIR: dir };
      const dest = join(dir, 'root');

      const installStarted = Date.now();
      const install = await run(
        'bash',
        [INSTALLER, '--from', await releaseTarball(arch), '--destdir', dest],
        env,
      );
      const installMs = Date.now() - installStarted;
      expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
      for (const module of ['better-sqlite3', 'epoll', 'ioctl', 'nodeimu']) {
        expect(install.stdout).toContain(`native module ${module} loads`);
      }
      if (arch === 'armv7l') {
        expect(install.stdout).not.toContain('native module aws-crt');
        expect(`${install.stdout}${install.stderr}`).not.toContain('aws-iot-device-sdk-v2');
        expect(install.stderr).toContain('Node.js 20 is end-of-life');
      } else {
        expect(install.stdout).toContain('native module aws-crt loads');
      }
      expect(install.stdout).toContain('coffee-iot agent installed.');

      stack = await startObservedMosquitto(thing, `smoke-observer-${arch}`, [telemetry]);
      const { broker, subscriber } = stack;
      const stateDir = join(dir, 'state');
      await mkdir(stateDir);
      const configPath = join(dir, 'agent.json');
      // transport "auto": the agent itself must pick aws-crt where it has a binary, MQTT.js where not.
      await writeFile(
        configPath,
        JSON.stringify(agentConfigFor(broker, thing, stateDir, 'mqtt.js', { transport: 'auto' })),
      );
      const entry = join(dest, 'opt/coffee-iot/agent/coffee-iot-agent.mjs');
      let output = '';
      const child = spawn(node, [entry, '--config', configPath], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      });
      agent = child;
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      if (child.pid === undefined) throw new Error('the agent did not start');
      const rss = sampleRss(child.pid);

      await subscriber.waitForCount(telemetry, 1, 120_000);
      const runStarted = Date.now();
      await sleep(RESTART_AT_MS);
      await broker.stop();
      await sleep(OUTAGE_MS);
      await broker.start();
      await sleep(RUN_MS - (Date.now() - runStarted));

      const status = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as {
        transport: string;
        connection: string;
      };
      const agentRss = rss.stop();
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      const runMs = Date.now() - runStarted;
      expect(code, output).toBe(0);

      const arrivals = firstArrivals(seqsOf(subscriber.payloadsOn(telemetry)));
      const last = Math.max(...arrivals);
      expect(arrivals, output).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      // At least one reading a second for the run, at most a few still in flight at SIGTERM.
      expect(last).toBeGreaterThanOrEqual(Math.floor(runMs / 1000) - 3);
      expect(status.transport).toBe(EXPECTED_TRANSPORT[arch]);
      expect(output).toMatch(/mqtt connection lost/);

      const bare = await bareNodeRss(node);
      const figures = {
        arch,
        installSeconds: Math.round(installMs / 100) / 10,
        runSeconds: Math.round(runMs / 100) / 10,
        readings: last,
        transport: status.transport,
        agentRssMiB: { peak: Math.round(agentRss.peakKiB / 1024), last: Math.round(agentRss.lastKiB / 1024) },
        bareNodeRssMiB: { peak: Math.round(bare.peakKiB / 1024), last: Math.round(bare.lastKiB / 1024) },
        rssRatio: Math.round((agentRss.lastKiB / bare.lastKiB) * 100) / 100,
        testSeconds: Math.round((Date.now() - started) / 1000),
      };
      await mkdir(join(ROOT, 'test/artifacts'), { recursive: true });
      await writeFile(
        join(ROOT, 'test/artifacts', `arm-smoke-${arch}.json`),
        `${JSON.stringify(figures, null, 2)}\n`,
      );
      console.log(`arm smoke ${arch}: ${JSON.stringify(figures)}`);
    },
  );
});
