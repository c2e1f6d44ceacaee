/**
 * The backfill CSV format (`coffee-iot import FILE.csv`, or a file dropped under `imports/`):
 *
 * - UTF-8, an optional BOM, comma-separated, fields quoted with `"` where needed (RFC 4180);
 *   LF or CRLF line ends; blank lines are skipped; spaces around a field are ignored.
 * - The first row is a header naming the columns, in any order. Names are case-insensitive and
 *   may be the lake's snake_case (`temperature_ambient`) or the contract's camelCase
 *   (`temperatureAmbient`).
 * - Required: `device_id, ts, temperature, humidity, pressure, pitch, roll, yaw`.
 *   Optional: `seq` and the optional reading fields `temperature_ambient, temperature_cpu,
 *   accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, mag_x, mag_y, mag_z` (an empty cell in an
 *   optional column means "not measured"). Any other column refuses the whole file before a
 *   single reading is sent: a typo in a column name would otherwise lose that column silently.
 * - `ts`: ISO-8601 with `Z` or an offset (`2026-03-14T08:15:30.250Z`, `2026-03-14 09:15:30+01:00`,
 *   the comma decimal sign ISO-8601 also allows, `…30,250Z`), or epoch seconds (below 10^11,
 *   fractions allowed) or epoch milliseconds. It is normalised to UTC with milliseconds; digits
 *   beyond the millisecond are dropped. A time without a zone is refused: it is ambiguous.
 * - `seq` and `bootId`: see import-identity.ts.
 *
 * The columns come from the lake's telemetry table (columns.ts), so the CSV a user imports and the
 * rows the lake stores use the same names and cannot drift apart.
 */
import { TELEMETRY_COLUMNS } from '../columns.js';

/** One column the CSV may have. */
export interface CsvColumn {
  /** The lake's snake_case name, used in messages. */
  readonly name: string;
  /** The envelope or reading field it fills: `deviceId`, `seq`, `ts`, `temperature`, … */
  readonly field: string;
  readonly required: boolean;
}

/**
 * The lake's telemetry columns minus what the import makes itself: `boot_id` (derived per device)
 * and the ingest-time columns. `seq` is optional here though the lake requires it: without it the
 * import derives one from ts.
 */
export const CSV_COLUMNS: readonly CsvColumn[] = Object.freeze(
  TELEMETRY_COLUMNS.filter((column) => column.source !== 'bootId' && column.source !== 'ingest').map(
    (column): CsvColumn =>
      Object.freeze({
        name: column.name,
        field: column.source,
        required: column.source === 'seq' ? false : column.required,
      }),
  ),
);

const BY_HEADER_NAME = new Map<string, CsvColumn>(
  CSV_COLUMNS.flatMap((column) => [
    [column.name.toLowerCase(), column],
    [column.field.toLowerCase(), column],
  ]),
);

/** The column a header cell names, or undefined. */
export function columnForHeader(name: string): CsvColumn | undefined {
  return BY_HEADER_NAME.get(name.trim().toLowerCase());
}
