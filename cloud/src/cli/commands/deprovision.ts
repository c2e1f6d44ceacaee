import { IoTClient } from '@aws-sdk/client-iot';
import { checkAwsSetup } from '../../provision/aws-session.js';
import { deprovisionThing } from '../../provision/deprovision-thing.js';
import { formatDeprovisionReport } from '../../provision/provision-report.js';
import { type CliIo, EXIT_OK } from '../cli-io.js';
import { parseCommandLine, runLakeCommand } from '../lake-command.js';
import { regionFlag, thingArgument } from './provision.js';

export const DEPROVISION_USAGE = `Usage: coffee-iot deprovision THING [--region R]

Takes THING (an AWS IoT thing name) out of AWS IoT Core: detaches each certificate from the thing,
detaches the certificate's policies, deactivates and deletes it, then deletes the thing. A
certificate another thing also uses is only detached from THING. If a step fails, what was done
and what is left (with the commands that finish it) are named.

  --region R    the AWS region (default: the AWS SDK's, e.g. $AWS_REGION)
  -h, --help    show this help

AWS credentials come from the usual AWS environment (AWS_PROFILE, aws sso login …).
Exit status: 0 deprovisioned; 1 failed (unknown thing: nothing changed); 2 bad usage.
`;

/** Creates the SDK client; tests pass one whose calls aws-sdk-client-mock answers. */
export interface DeprovisionClients {
  iot(region: string | undefined): IoTClient;
}

/** The user's default credential chain and region, unless --region. */
const DEFAULT_CLIENTS: DeprovisionClients = {
  iot: (region) => new IoTClient(region === undefined ? {} : { region }),
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  region: { type: 'string' },
} as const;

interface DeprovisionCommand {
  thingName: string;
  region: string | undefined;
}

function deprovisionCommand(argv: readonly string[]): DeprovisionCommand | 'help' {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
  if (values.help === true) return 'help';
  return { thingName: thingArgument(positionals, 'deprovision'), region: regionFlag(values.region) };
}

/**
 * `coffee-iot deprovision THING …` with the arguments after `deprovision` (DEPROVISION_USAGE).
 * Returns the exit code; never throws.
 */
export function runDeprovision(
  argv: readonly string[],
  io: CliIo,
  clients: DeprovisionClients = DEFAULT_CLIENTS,
): Promise<number> {
  return runLakeCommand(
    {
      name: 'deprovision',
      usage: DEPROVISION_USAGE,
      parse: deprovisionCommand,
      run: async (command) => {
        const iot = clients.iot(command.region);
        try {
          const region = await checkAwsSetup(iot, 'detach and delete IoT certificates and things');
          const report = await deprovisionThing({ iot }, { thingName: command.thingName, region });
          io.stdout.write(formatDeprovisionReport(report));
          return EXIT_OK;
        } finally {
          iot.destroy();
        }
      },
      plainErrors: ['AwsSetupError', 'DeprovisionError', 'ThingNotFoundError'],
    },
    argv,
    io,
  );
}
