import { describe, expect, it } from 'vitest';
import { COFFEE_COLUMNS, TELEMETRY_COLUMNS } from '../../../cloud/src/lake/columns.js';
import { glueTableInput } from '../../../cloud/src/lake/glue-tables.js';
import { openLocalLake } from '../../../cloud/src/lake/local/index.js';
import { NAMED_QUERIES } from '../../../cloud/src/lake/named-queries.js';
import { at, coffeeRecord, queryLake, reading, telemetryRecord, tempLake } from './local-lake-fixtures.js';

describe('Glue tables with partition projection', () => {
  it('carry every lake column and project the ingest partitions the layout writes', () => {
    const table = glueTableInput('telemetry', { bucket: 'coffee-iot-lake-123456789012', firstYear: 2026 });
    expect(table.storageDescriptor.columns).toEqual(
      TELEMETRY_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
    );
    expect(table.partitionKeys.map((k) => k.name)).toEqual([
      'ingest_year',
      'ingest_month',
      'ingest_day',
      'ingest_hour',
    ]);
    // The raw table (duplicates included) over curated/telemetry/; readers use the telemetry view.
    expect(table.name).toBe('telemetry_all');
    expect(table.storageDescriptor.location).toBe('s3://coffee-iot-lake-123456789012/curated/telemetry/');
    expect(table.parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.ingest_year.range': '2026,2055',
      'projection.ingest_month.digits': '2',
      'projection.ingest_hour.range': '0,23',
      'storage.location.template':
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholders, literally
        's3://coffee-iot-lake-123456789012/curated/telemetry/ingest_year=${ingest_year}/ingest_month=${ingest_month}/ingest_day=${ingest_day}/ingest_hour=${ingest_hour}',
    });
    expect(
      glueTableInput('coffees', { bucket: 'lake-b', firstYear: 2026 }).storageDescriptor.columns,
    ).toHaveLength(COFFEE_COLUMNS.length);
  });

  it('projects 30 years from firstYear unless told the last, and refuses a range that is not one', () => {
    const range = (options: { firstYear: number; lastYear?: number }) =>
      glueTableInput('coffees', { bucket: 'lake-b', ...options }).parameters['projection.ingest_year.range'];
    expect(range({ firstYear: 2024 })).toBe('2024,2053');
    expect(range({ firstYear: 2024, lastYear: 2030 })).toBe('2024,2030');
    expect(() => range({ firstYear: 2030, lastYear: 2024 })).toThrow(RangeError);
    expect(() => range({ firstYear: 2024.5 })).toThrow(RangeError);
  });

  it('refuses a bucket name S3 would refuse', () => {
    expect(() => glueTableInput('coffees', { bucket: 'Not_A_Bucket', firstYear: 2026 })).toThrow(
      /not an S3 bucket/,
    );
  });
});

describe('named queries run on the local lake', () => {
  it('answer the common questions over known data', async () => {
    const { dir, remove } = await tempLake();
    try {
      const lake = await openLocalLake(dir);
      const today = new Date().toISOString().slice(0, 10);
      await lake.ingest(
        [
          telemetryRecord('coffee-pi-01', [
            reading(1, 20.5, `${today}T00:00:01.000Z`),
            reading(2, 22.5, `${today}T00:30:01.000Z`),
            reading(3, 21.0, `${today}T01:00:01.000Z`),
          ]),
          telemetryRecord('coffee-pi-02', [reading(1, 18.0, '2026-03-05T09:00:00.000Z')]),
          coffeeRecord('coffee-pi-01', 1, true),
          coffeeRecord('coffee-pi-01', 2, false),
          coffeeRecord('coffee-pi-02', 3, null),
        ],
        at(`${today}T02:00:00.000Z`),
      );
      await lake.close();
      const [today_, perHour, cups] = await Promise.all(NAMED_QUERIES.map((q) => queryLake(dir, q.sql)));
      expect(today_).toEqual([
        {
          device_id: 'coffee-pi-01',
          min_temperature: 20.5,
          max_temperature: 22.5,
          avg_temperature: 21.33,
          readings: '3',
        },
      ]);
      expect(perHour?.map((r) => [r.device_id, r.readings])).toEqual([
        ['coffee-pi-01', '1'],
        ['coffee-pi-01', '2'],
        ['coffee-pi-02', '1'],
      ]);
      // Three cups on the fixtures' capture day; the unknown smile is left out of the rate.
      expect(cups).toEqual([{ day: '2026-03-05', cups: '3', smile_rate: 0.5 }]);
    } finally {
      await remove();
    }
  });
});
