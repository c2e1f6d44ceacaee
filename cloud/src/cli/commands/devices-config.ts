import type { DeviceConfigView } from '../../fleet-control/fleet-control-port.js';
import { openFleetControl } from '../../fleet-control/fleet-target.js';
import { parseSettings, SettingError } from '../../fleet-control/setting-values.js';
import { UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_OK } from '../cli-io.js';
import { type LakeCommand, parseCommandLine, runLakeCommand } from '../lake-command.js';
import { FLEET_TARGET_OPTIONS, FLEET_TARGET_USAGE, fleetTarget } from './fleet-flags.js';
import { thingArgument } from './provision.js';

export const DEVICES_CONFIG_USAGE = `Usage: coffee-iot devices config THING [--set KEY=VALUE]... [target options]

Shows a device's live configuration (its "config" named shadow): what is desired, what the device
reports as in effect, and what it has not applied yet. With --set, asks for new values; the agent
checks each with its own configuration rules, applies it without a restart (intervalMs,
batchSeconds, the countdown, logLevel, healthIntervalSeconds) or at the next start, and reports
refused values with the reason. Precedence on the device: agent.json < this < command-line flags.

  --set KEY=VALUE      a value to ask for (JSON: 10, true, "x"; anything else is a string;
                       a.b=1 nests); repeat for several; KEY=null removes the request
${FLEET_TARGET_USAGE}

Exit status: 0 done; 1 failed (target unreachable, unknown thing); 2 bad usage.
`;

const OPTIONS = { ...FLEET_TARGET_OPTIONS, set: { type: 'string', multiple: true } } as const;

interface DevicesConfigCommand {
  thing: string;
  changes: Record<string, unknown> | null;
  json: boolean;
  target: ReturnType<typeof fleetTarget>;
}

const spec: LakeCommand<DevicesConfigCommand> = {
  name: 'devices config',
  usage: DEVICES_CONFIG_USAGE,
  plainErrors: ['FleetControlError'],
  parse(argv, io) {
    const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
    if (values.help === true) return 'help';
    let changes: Record<string, unknown> | null = null;
    if (values.set !== undefined) {
      try {
        changes = parseSettings(values.set);
      } catch (error) {
        if (error instanceof SettingError) throw new UsageError(`--set: ${error.message}`);
        throw error;
      }
    }
    return {
      thing: thingArgument(positionals, 'configure'),
      changes,
      json: values.json === true,
      target: fleetTarget(values, io),
    };
  },
  async run(command, io) {
    const fleet = await openFleetControl(command.target);
    io.stderr.write(`coffee-iot: using ${fleet.description}\n`);
    const view =
      command.changes === null
        ? await fleet.getConfig(command.thing)
        : await fleet.setDesiredConfig(command.thing, command.changes);
    io.stdout.write(command.json ? `${JSON.stringify(view, null, 2)}\n` : formatConfig(view));
    return EXIT_OK;
  },
};

export function runDevicesConfig(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand(spec, argv, io);
}

export function formatConfig(view: DeviceConfigView): string {
  const lines = [`${view.thing}: config shadow version ${view.version ?? '(none yet)'}`];
  const section = (title: string, values: Readonly<Record<string, unknown>>) => {
    const entries = Object.entries(values);
    lines.push(`${title}:${entries.length === 0 ? ' -' : ''}`);
    for (const [key, value] of entries) lines.push(`  ${key} = ${JSON.stringify(value)}`);
  };
  section('desired', view.desired);
  section('reported (in effect on the device)', view.reported);
  section('not applied yet', view.delta);
  return `${lines.join('\n')}\n`;
}
