import type { Device } from '../../db/device-repository.js';
import type { LakeColumnType } from '../columns.js';
import type { GlueColumn, GlueTableInput } from '../glue-tables.js';

/**
 * The device registry as the lake sees it: a snapshot of Aurora's `devices` rows, which Athena
 * cannot read, written to the lake bucket so the export can LEFT JOIN it (export-sql.ts reads
 * `d.thing_name`, `d.owner`, `d.location`, `d.model`; the seen-at times come along for whoever
 * queries the table).
 *
 * One small file, replaced whole: devices/snapshot.json, newline-delimited JSON, one object per
 * device. JSON rather than Parquet because the registry is small (a row per machine) and a writer
 * needs no Parquet library; Athena reads it with the Hive JSON SerDe, whose default timestamp
 * text is java.sql.Timestamp's `yyyy-mm-dd hh:mm:ss[.fff]`, the form the lake uses elsewhere.
 * No partitions: the whole registry is always read, and it is one object.
 */
export interface DevicesColumn {
  readonly name: string;
  readonly type: LakeColumnType;
}

export const DEVICES_COLUMNS: readonly DevicesColumn[] = Object.freeze([
  { name: 'thing_name', type: 'string' },
  { name: 'owner', type: 'string' },
  { name: 'location', type: 'string' },
  { name: 'model', type: 'string' },
  { name: 'first_seen_at', type: 'timestamp' },
  { name: 'last_seen_at', type: 'timestamp' },
] as const);

export const DEVICES_TABLE_NAME = 'devices';
/** The folder the Glue table reads (every object in it is the registry) and the snapshot's key. */
export const DEVICES_PREFIX = 'devices';
export const DEVICES_SNAPSHOT_KEY = `${DEVICES_PREFIX}/snapshot.json`;

export interface DevicesTableOptions {
  /** The lake bucket. */
  readonly bucket: string;
  /** Default `devices`, the name the export's SQL reads. */
  readonly name?: string;
}

/** The Glue table over devices/ (CloudFormation's TableInput shape, as glueTableInput). */
export function devicesGlueTableInput(options: DevicesTableOptions): GlueTableInput {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    throw new RangeError(`"${options.bucket}" is not an S3 bucket name`);
  }
  const columns: GlueColumn[] = DEVICES_COLUMNS.map(({ name, type }) => ({ name, type }));
  return {
    name: options.name ?? DEVICES_TABLE_NAME,
    description:
      'The device registry (Aurora) as a snapshot for Athena: one row per registered device; the export joins it on thing_name',
    tableType: 'EXTERNAL_TABLE',
    parameters: { classification: 'json' },
    partitionKeys: [],
    storageDescriptor: {
      columns,
      location: `s3://${options.bucket}/${DEVICES_PREFIX}/`,
      inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
    },
  };
}

/** `2026-03-05T10:00:00.000Z` (the registry's form) → `2026-03-05 10:00:00.000`. */
function snapshotTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace('T', ' ').replace(/Z$/, '');
}

/** The registry as the snapshot file's text: one JSON object per line, keys DEVICES_COLUMNS. */
export function devicesSnapshotNdjson(devices: readonly Device[]): string {
  return devices
    .map((device) => {
      const row: Record<(typeof DEVICES_COLUMNS)[number]['name'], string | null> = {
        thing_name: device.thingName,
        owner: device.owner,
        location: device.location,
        model: device.model,
        first_seen_at: snapshotTime(device.firstSeenAt),
        last_seen_at: snapshotTime(device.lastSeenAt),
      };
      return `${JSON.stringify(row)}\n`;
    })
    .join('');
}
