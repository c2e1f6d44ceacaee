import { type RecordCheckOptions, type RowSink, type SeenKeys, transformRecord } from './transform/record.js';
import { rejectedText } from './transform/rejected-text.js';
import { SeenReadings, stringKeyDedupe } from './transform/seen-readings.js';
import { TelemetryColumns } from './transform/telemetry-columns.js';
import type { IngestInput, TransformOutput } from './transform-types.js';

export { readingKey, SeenReadings } from './transform/seen-readings.js';
export { TelemetryColumns } from './transform/telemetry-columns.js';

/** TransformOutput with the telemetry rows as columns (the local lake's form: no row objects). */
export interface ColumnTransformOutput extends Omit<TransformOutput, 'telemetry'> {
  telemetry: TelemetryColumns;
}

export interface TransformOptions extends RecordCheckOptions {
  /**
   * Readings already in the lake: a caller that transforms batch after batch passes the same set
   * each time, and the readings emitted are added to it. A SeenReadings is the fast form; a
   * Set<string> of readingKey(deviceId, seq) works too, at about a fifth of the speed.
   */
  seenReadings?: SeenReadings | Set<string>;
  /** Photo keys of coffees already in the lake; emitted ones are added. */
  seenCoffees?: Set<string>;
}

/** An output with nothing in it yet: what a caller gathering several transforms starts from. */
export function emptyTransformOutput(): TransformOutput {
  return {
    telemetry: [],
    coffees: [],
    rejected: [],
    duplicateReadings: 0,
    duplicateCoffees: 0,
    rejectedReadings: 0,
    identityMismatches: 0,
  };
}

/**
 * Ingest-stream records → flat lake rows: one per telemetry reading and one per coffee record,
 * each validated against its shared contract, deduplicated on (deviceId, seq) and on the photo
 * key (within the call and against the seen-sets), with ingest_time and the ingest_* partition
 * from the record's arrival (UTC). A record that cannot become rows (a payload naming another
 * device than its topic among them) is in `rejected` with its reason and text, and so is each
 * reading refused on its own while its envelope's other readings land; nothing is thrown and
 * nothing is left out uncounted.
 */
export function transformIngestRecords(
  inputs: readonly IngestInput[],
  options: TransformOptions = {},
): TransformOutput {
  return transformInto(inputs, options, emptyTransformOutput());
}

/** An empty ColumnTransformOutput, for transformIngestColumns to add to. */
export function emptyColumnTransformOutput(): ColumnTransformOutput {
  return { ...emptyTransformOutput(), telemetry: new TelemetryColumns() };
}

/**
 * transformIngestRecords with the telemetry rows stored as columns in `output` (added to what it
 * holds: a caller transforming a batch slice by slice passes the same output each time). The
 * same rows, refusals and counts as transformIngestRecords over the same inputs.
 */
export function transformIngestColumns(
  inputs: readonly IngestInput[],
  options: TransformOptions = {},
  output: ColumnTransformOutput = emptyColumnTransformOutput(),
): ColumnTransformOutput {
  return transformInto(inputs, options, output);
}

function transformInto<Output extends Omit<TransformOutput, 'telemetry'> & RowSink>(
  inputs: readonly IngestInput[],
  options: TransformOptions,
  output: Output,
): Output {
  const seen: SeenKeys = {
    readings:
      options.seenReadings instanceof Set
        ? stringKeyDedupe(options.seenReadings)
        : (options.seenReadings ?? new SeenReadings()),
    coffees: options.seenCoffees ?? new Set(),
  };
  for (const input of inputs) {
    const outcome = transformRecord(input, seen, output, options);
    if (outcome.kind === 'rejected') {
      output.rejected.push({ id: input.id, reason: outcome.reason, data: rejectedText(input.data) });
      if (outcome.identityMismatch) output.identityMismatches += 1;
    } else if (outcome.kind === 'telemetry') {
      output.duplicateReadings += outcome.duplicates;
      for (const reading of outcome.rejectedReadings) output.rejected.push(reading);
      output.rejectedReadings += outcome.rejectedReadings.length;
    } else {
      output.duplicateCoffees += outcome.duplicates;
    }
  }
  return output;
}
