import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type ColumnTransformOutput,
  emptyColumnTransformOutput,
  type TransformOptions,
  transformIngestColumns,
} from '../transform.js';
import type { IngestInput } from '../transform-types.js';

/** About 800 full readings: a couple of milliseconds of transform between two turns of the event loop. */
export const SLICE_BYTES = 256 * 1024;

/**
 * transformIngestColumns over `inputs`, a slice at a time, letting the event loop turn between
 * slices. DuckDB writes the previous batch's Parquet on its own thread but asks this thread for
 * every 2,048 rows (the table function in parquet-writer.ts): one synchronous transform of a
 * 30,000-reading batch (~100 ms) would hold that writer still for its whole length. The slices
 * add to one output (nothing copied between them): its rows and counts are those of one call
 * over all inputs (the transform is per record). `output` may be one whose columns are reused.
 */
export async function transformColumnsCooperatively(
  inputs: readonly IngestInput[],
  options: () => TransformOptions,
  sliceBytes = SLICE_BYTES,
  output: ColumnTransformOutput = emptyColumnTransformOutput(),
): Promise<ColumnTransformOutput> {
  let start = 0;
  while (start < inputs.length) {
    let end = start;
    let bytes = 0;
    while (end < inputs.length && (end === start || bytes < sliceBytes)) {
      bytes += (inputs[end] as IngestInput).data.byteLength;
      end += 1;
    }
    if (start > 0) await nextTurn();
    transformIngestColumns(inputs.slice(start, end), options(), output);
    start = end;
  }
  return output;
}
