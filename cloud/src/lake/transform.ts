import { type SeenKeys, transformRecord } from './transform/record.js';
import { rejectedText } from './transform/rejected-text.js';
import { SeenReadings, stringKeyDedupe } from './transform/seen-readings.js';
import type { IngestInput, TransformOutput } from './transform-types.js';

export { readingKey, SeenReadings } from './transform/seen-readings.js';

export interface TransformOptions {
  /**
   * Readings already in the lake: a caller that transforms batch after batch passes the same set
   * each time, and the readings emitted are added to it. A SeenReadings is the fast form; a
   * Set<string> of readingKey(deviceId, seq) works too, at about a fifth of the speed.
   */
  seenReadings?: SeenReadings | Set<string>;
  /** Photo keys of coffees already in the lake; emitted ones are added. */
  seenCoffees?: Set<string>;
}

/**
 * Ingest-stream records → flat lake rows: one per telemetry reading and one per coffee record,
 * each validated against its shared contract, deduplicated on (deviceId, seq) and on the photo
 * key (within the call and against the seen-sets), with ingest_time and the ingest_* partition
 * from the record's arrival (UTC). A record that cannot become rows is in `rejected` with its
 * reason and text; nothing is thrown and nothing is left out uncounted.
 */
export function transformIngestRecords(
  inputs: readonly IngestInput[],
  options: TransformOptions = {},
): TransformOutput {
  const seen: SeenKeys = {
    readings:
      options.seenReadings instanceof Set
        ? stringKeyDedupe(options.seenReadings)
        : (options.seenReadings ?? new SeenReadings()),
    coffees: options.seenCoffees ?? new Set(),
  };
  const output: TransformOutput = {
    telemetry: [],
    coffees: [],
    rejected: [],
    duplicateReadings: 0,
    duplicateCoffees: 0,
  };
  for (const input of inputs) {
    const outcome = transformRecord(input, seen, output);
    if (outcome.kind === 'rejected') {
      output.rejected.push({ id: input.id, reason: outcome.reason, data: rejectedText(input.data) });
    } else if (outcome.kind === 'telemetry') {
      output.duplicateReadings += outcome.duplicates;
    } else {
      output.duplicateCoffees += outcome.duplicates;
    }
  }
  return output;
}
