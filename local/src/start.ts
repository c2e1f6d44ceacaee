import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runAgent } from '../agent-runner.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger, type LogLevel } from '../ports/logger.js';
import type { ProcessHooks } from '../process-hooks.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { LOCAL_PHOTO_BUCKET, startLocalS3 } from './local-s3.js';
import { ensureDevPki } from './pki.js';
import { TelemetryPrinter } from './telemetry-printer.js';

const USAGE = `npm start [-- options]   local stack: embedded MQTT broker (mutual TLS) + agent in mock-hardware mode

  --data-dir DIR     where certificates, agent.json and the spool live (default ./.local)
  --port N           broker port on 127.0.0.1 (default 8883)
  --s3-port N        local S3 (s3rver) port on 127.0.0.1 (default 4568)
  --control-port N   agent control port on 127.0.0.1, POST /press brews (default 8484)
  --thing-name NAME  the mock device's thing name (default coffee-pi-1)
  --log-level LEVEL  agent log level (default warn, so readings stay readable)
  --help
`;

/**
 * `npm start`: everything the agent needs, on one laptop. Parts start in order and stop in
 * reverse: dev PKI → broker → printer → agent. The data directory keeps the CA, the spool and
 * the sequence numbers, so a restart carries on where it stopped.
 */
async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: '.local' },
      port: { type: 'string', default: '8883' },
      's3-port': { type: 'string', default: '4568' },
      'control-port': { type: 'string', default: '8484' },
      'thing-name': { type: 'string', default: 'coffee-pi-1' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dataDir = resolve(values['data-dir']);
  const thingName = values['thing-name'];
  const port = Number(values.port);
  const stackLogger = createLogger('info');

  const pki = await ensureDevPki(join(dataDir, 'pki'), { thingNames: [thingName] });
  const device = pki.clients[thingName];
  if (!device) throw new Error(`dev PKI has no certificate for ${thingName}`);

  const broker = new EmbeddedBroker({
    port,
    caPath: pki.caPath,
    certPath: pki.server.certPath,
    keyPath: pki.server.keyPath,
    logger: stackLogger,
  });
  await broker.start();

  const s3 = await startLocalS3(join(dataDir, 's3'), Number(values['s3-port']));
  s3.onObjectCreated((key, size) =>
    process.stdout.write(`📷 stored s3://${LOCAL_PHOTO_BUCKET}/${key} (${size} bytes)\n`),
  );
  const controlPort = Number(values['control-port']);

  // A real agent.json, exactly as on a Pi, so the local stack exercises the config loader too.
  const configPath = join(dataDir, 'agent.json');
  await writeFile(
    configPath,
    `${JSON.stringify(
      {
        thingName,
        endpoint: '127.0.0.1',
        port: broker.port,
        cert: device.certPath,
        key: device.keyPath,
        rootCa: pki.caPath,
        stateDir: join(dataDir, 'state', thingName),
        mock: true,
        logLevel: values['log-level'],
        control: { port: controlPort },
        // The embedded S3 accepts only its fixed dev keys; on a Pi the IoT credential provider
        // supplies temporary credentials instead (devStaticCredentials is refused without mock).
        upload: {
          bucket: LOCAL_PHOTO_BUCKET,
          region: 'us-east-1',
          endpoint: s3.endpoint,
          devStaticCredentials: true,
        },
      },
      null,
      2,
    )}\n`,
  );
  const { config, warnings } = await loadConfig({ configPath, env: process.env });

  const printer = new TelemetryPrinter({
    aedes: broker.aedes,
    topicPrefix: config.topicPrefix,
    write: (line) => process.stdout.write(`${line}\n`),
  });
  await printer.start();

  process.stdout.write(
    [
      'coffee-iot local stack',
      `  data directory: ${dataDir}`,
      `  MQTT broker:    mqtts://127.0.0.1:${broker.port} (mutual TLS, dev CA ${pki.caPath})`,
      `  local S3:       ${s3.endpoint} (bucket ${LOCAL_PHOTO_BUCKET}, files in ${join(dataDir, 's3')})`,
      `  agent:          ${thingName} in mock-hardware mode, publishing to ${config.topicPrefix}/${thingName}/telemetry`,
      `  brew a coffee:  press Enter (or c) here, or curl -X POST http://127.0.0.1:${controlPort}/press`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  // The runner owns SIGINT/SIGTERM: it stops the agent first; we then stop the rest.
  const processHooks: ProcessHooks = {
    pid: process.pid,
    onShutdownSignal(listener) {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
  const agentLogger = createLogger(config.logLevel as LogLevel);
  const code = await runAgent(config, { logger: agentLogger, warnings, processHooks });
  await printer.stop();
  await s3.stop();
  await broker.stop();
  process.stdout.write('local stack stopped\n');
  return code;
}

process.exitCode = await main(process.argv.slice(2));
