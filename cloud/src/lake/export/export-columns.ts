import { COFFEE_COLUMNS, type LakeColumn, TELEMETRY_COLUMNS } from '../columns.js';

/** What the device registry adds to every exported row; null for a device it does not know. */
export const ENRICHMENT_COLUMNS = Object.freeze(['owner', 'location', 'model'] as const);

/** A column of an export file and the lake column it comes from (none for derived ones). */
export interface ExportColumn {
  readonly name: string;
  readonly from: 'lake' | 'registry' | 'derived';
  readonly timestamp: boolean;
}

const fromLake = (column: LakeColumn): ExportColumn => ({
  name: column.name,
  from: 'lake',
  timestamp: column.type === 'timestamp',
});
const fromRegistry = ENRICHMENT_COLUMNS.map(
  (name): ExportColumn => ({ name, from: 'registry', timestamp: false }),
);

/** The lake's reading columns (ingest partitions left out: ingest_time says it), then the registry's. */
export const TELEMETRY_EXPORT_COLUMNS: readonly ExportColumn[] = Object.freeze([
  ...TELEMETRY_COLUMNS.map(fromLake),
  ...fromRegistry,
]);

/** The lake's coffee columns with the photo URL next to the photo key, then the registry's. */
export const COFFEE_EXPORT_COLUMNS: readonly ExportColumn[] = Object.freeze(
  COFFEE_COLUMNS.flatMap((column) =>
    column.name === 'photo_key'
      ? [fromLake(column), { name: 'photo_url', from: 'derived', timestamp: false } as const]
      : [fromLake(column)],
  ).concat(fromRegistry),
);
