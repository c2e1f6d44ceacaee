import type { S3Event } from 'aws-lambda';
import { readCsvImportConfig } from '../lake/import/csv-import-config.js';
import { IMPORT_RETRY_POLICY } from '../lake/import/import-retry.js';
import { type CsvImportEventSummary, handleCsvImportEvent } from '../lake/import/s3-csv-import.js';
import { createS3ImportStore } from '../lake/import/s3-import-store.js';
import { createCloudLogger } from '../logging/logger.js';
import { createS3Client } from '../photos/s3-photo-store.js';
import { openIngestStream } from '../stream/open-ingest-stream.js';

const logger = createCloudLogger('coffee-iot-csv-import');
// Checked when the container starts, so a misconfigured deploy fails at once, naming every bad variable.
const config = readCsvImportConfig(process.env);
// Clients are created once per container and reused across invocations.
const deps = {
  store: createS3ImportStore(createS3Client({})),
  stream: openIngestStream(config.ingest, { retry: IMPORT_RETRY_POLICY }).stream,
  logger,
  now: () => new Date(),
  maxRefusedDetails: config.maxRefusedDetails,
};

/** S3 ObjectCreated on imports/*.csv → ingest stream, report to imports/reports/. Throws to have Lambda retry. */
export async function handler(event: S3Event): Promise<CsvImportEventSummary> {
  return handleCsvImportEvent(event, deps);
}
