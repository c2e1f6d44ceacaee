import { openFleetControl } from '../../fleet-control/fleet-target.js';
import { buildJobDocument, newJobId } from '../../fleet-control/job-documents.js';
import type { CliIo } from '../cli-io.js';
import { type LakeCommand, parseCommandLine, runLakeCommand } from '../lake-command.js';
import { FLEET_TARGET_OPTIONS, FLEET_TARGET_USAGE, fleetTarget } from './fleet-flags.js';
import { reportJob } from './jobs.js';
import { thingArgument } from './provision.js';

export const DEVICES_ROTATE_CERT_USAGE = `Usage: coffee-iot devices rotate-cert THING [--wait] [target options]

Gives a device a new certificate without touching it, as a rotate-cert job: the Pi makes a new
key and certificate request (the private key never leaves it), receives its certificate from
CreateCertificateFromCsr, reconnects with it, and only then is the old certificate deactivated
and detached. If the new certificate cannot connect, the Pi keeps the old one and the job FAILS.

  --wait               follow the job until it finishes; exit 1 unless it SUCCEEDED
${FLEET_TARGET_USAGE}
`;

const OPTIONS = { ...FLEET_TARGET_OPTIONS, wait: { type: 'boolean' } } as const;

interface RotateCommand {
  thing: string;
  wait: boolean;
  json: boolean;
  target: ReturnType<typeof fleetTarget>;
}

const spec: LakeCommand<RotateCommand> = {
  name: 'devices rotate-cert',
  usage: DEVICES_ROTATE_CERT_USAGE,
  plainErrors: ['FleetControlError'],
  parse(argv, io) {
    const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
    if (values.help === true) return 'help';
    return {
      thing: thingArgument(positionals, 'rotate the certificate of'),
      wait: values.wait === true,
      json: values.json === true,
      target: fleetTarget(values, io),
    };
  },
  async run(command, io) {
    const fleet = await openFleetControl(command.target);
    io.stderr.write(`coffee-iot: using ${fleet.description}\n`);
    const jobId = newJobId('rotate-cert', (io.now ?? (() => new Date()))());
    await fleet.createJob({ jobId, document: buildJobDocument('rotate-cert', {}), targets: [command.thing] });
    io.stderr.write(`coffee-iot: created job ${jobId}\n`);
    return reportJob(fleet, jobId, command, io);
  },
};

export function runDevicesRotateCert(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand(spec, argv, io);
}
