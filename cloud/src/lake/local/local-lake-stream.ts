import { type IngestRecord, type IngestStream, StreamUnavailableError } from '../../stream/ingest-stream.js';
import { RawArchiveWriteError } from './lake-errors.js';
import type { IngestReport, LocalLake } from './local-lake.js';

export interface LocalLakeStreamOptions {
  /** Told what every batch became (rows, refused, duplicates): the local stack logs it. */
  onIngested?: (report: IngestReport) => void;
}

/**
 * The ingest stream port onto the local lake: what the CSV import and the local stack write to
 * instead of Kinesis. A batch is accepted once its raw archive is on disk, as a Kinesis record is
 * once the stream has it. When even that fails nothing was accepted: StreamUnavailableError with
 * every index in `notAccepted`, as from Kinesis, so callers retry the same way. A batch archived
 * but not curated throws the lake's CuratedWriteError (replay its hour): data is safe, and the
 * failure is not hidden.
 */
export class LocalLakeStream implements IngestStream {
  constructor(
    private readonly lake: LocalLake,
    private readonly options: LocalLakeStreamOptions = {},
  ) {}

  async putRecords(records: readonly IngestRecord[]): Promise<void> {
    if (records.length === 0) return;
    let report: IngestReport;
    try {
      report = await this.lake.ingest(records);
    } catch (error) {
      if (error instanceof RawArchiveWriteError) {
        throw new StreamUnavailableError(`the local lake did not take the records: ${error.message}`, {
          cause: error,
          stream: this.lake.lakeDir,
          notAccepted: records.map((_, index) => index),
          errorCodes: { [error.name]: records.length },
        });
      }
      throw error;
    }
    this.options.onIngested?.(report);
  }
}
