import { setImmediate as nextTurn } from 'node:timers/promises';
import { emptyTransformOutput, type TransformOptions, transformIngestRecords } from '../transform.js';
import type { IngestInput, TransformOutput } from '../transform-types.js';

/** About 800 full readings: a couple of milliseconds of transform between two turns of the event loop. */
export const SLICE_BYTES = 256 * 1024;

/**
 * transformIngestRecords over `inputs`, a slice at a time, letting the event loop turn between
 * slices. DuckDB writes the previous batch's Parquet on its own thread but asks this thread for
 * every 2,048 rows (the table function in parquet-writer.ts): one synchronous transform of a
 * 30,000-reading batch (~100 ms) would hold that writer still for its whole length. The rows
 * and counts are those of one call over all inputs (the transform is per record).
 */
export async function transformCooperatively(
  inputs: readonly IngestInput[],
  options: () => TransformOptions,
  sliceBytes = SLICE_BYTES,
): Promise<TransformOutput> {
  const output = emptyTransformOutput();
  let start = 0;
  while (start < inputs.length) {
    let end = start;
    let bytes = 0;
    while (end < inputs.length && (end === start || bytes < sliceBytes)) {
      bytes += (inputs[end] as IngestInput).data.byteLength;
      end += 1;
    }
    if (start > 0) await nextTurn();
    const slice = transformIngestRecords(inputs.slice(start, end), options());
    for (const row of slice.telemetry) output.telemetry.push(row);
    for (const row of slice.coffees) output.coffees.push(row);
    for (const record of slice.rejected) output.rejected.push(record);
    output.duplicateReadings += slice.duplicateReadings;
    output.duplicateCoffees += slice.duplicateCoffees;
    output.rejectedReadings += slice.rejectedReadings;
    output.identityMismatches += slice.identityMismatches;
    start = end;
  }
  return output;
}
