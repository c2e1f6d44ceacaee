import { EnvReader } from '../../config/env.js';

export interface CsvImportHandlerConfig {
  /** Ingest stream the imported telemetry goes to (the one the devices' IoT rule feeds). */
  streamName: string;
  /** Refused lines listed in each report object; all of them are counted. */
  maxRefusedDetails: number;
}

/** Reads the CSV import Lambda's environment; throws EnvironmentError naming every problem at once. */
export function readCsvImportConfig(
  env: Readonly<Record<string, string | undefined>>,
): CsvImportHandlerConfig {
  const read = new EnvReader(env);
  const config: CsvImportHandlerConfig = {
    streamName: read.string('INGEST_STREAM_NAME'),
    // 10,000 lines of ~100 bytes keep the report object around 1 MB.
    maxRefusedDetails: read.number('IMPORT_MAX_REFUSED_DETAILS', 10_000, { min: 0, max: 1_000_000 }),
  };
  read.done();
  return config;
}
