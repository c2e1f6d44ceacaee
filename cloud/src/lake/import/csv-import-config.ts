import { EnvReader } from '../../config/env.js';
import { type IngestTarget, readIngestTarget } from '../../stream/ingest-target-config.js';

export interface CsvImportHandlerConfig {
  /**
   * Where the imported telemetry goes, the same place the devices' IoT rule sends theirs: the
   * Kinesis ingest stream (INGEST_STREAM_NAME) or, on the direct path, the telemetry delivery
   * stream (INGEST_DELIVERY_STREAM_NAME); exactly one is set.
   */
  ingest: IngestTarget;
  /** Refused lines listed in each report object; all of them are counted. */
  maxRefusedDetails: number;
}

/** Reads the CSV import Lambda's environment; throws EnvironmentError naming every problem at once. */
export function readCsvImportConfig(
  env: Readonly<Record<string, string | undefined>>,
): CsvImportHandlerConfig {
  const read = new EnvReader(env);
  const config: CsvImportHandlerConfig = {
    ingest: readIngestTarget(read),
    // 10,000 lines of ~100 bytes keep the report object around 1 MB.
    maxRefusedDetails: read.number('IMPORT_MAX_REFUSED_DETAILS', 10_000, { min: 0, max: 1_000_000 }),
  };
  read.done();
  return config;
}
