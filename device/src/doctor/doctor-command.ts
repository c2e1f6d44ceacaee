import type { ConfigSources } from '../config/load-config.js';
import type { TextSink } from '../status/status-command.js';
import type { DoctorPorts } from './doctor-ports.js';
import { renderDoctorJson, renderDoctorTable } from './render-doctor.js';
import { doctorExitCode, runDoctor } from './run-doctor.js';

export interface DoctorCommandOptions {
  sources: ConfigSources;
  json: boolean;
  stdout: TextSink;
  /** Default: the real probes (node-doctor-ports.ts). */
  ports?: DoctorPorts;
}

/** `coffee-iot-agent doctor [--json]`: exit 0 when no check failed, 1 otherwise. */
export async function runDoctorCommand(options: DoctorCommandOptions): Promise<number> {
  const ports = options.ports ?? (await import('./node-doctor-ports.js')).nodeDoctorPorts();
  const results = await runDoctor(options.sources, ports);
  options.stdout.write(options.json ? renderDoctorJson(results) : renderDoctorTable(results));
  return doctorExitCode(results);
}
