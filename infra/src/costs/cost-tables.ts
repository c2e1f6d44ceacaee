import { type CostPath, type CostProfile, type CostScenario, monthlyCost } from './monthly-cost.js';

/**
 * docs/costs.md's tables, from the model: `node --import tsx infra/src/costs/print-cost-tables.ts`
 * prints them, and a test holds the document to them row by row.
 */
export const FLEET_SIZES = [1, 100, 10_000] as const;
export const BATCH_SECONDS = [0, 10, 60] as const;
const PATH_LABEL: Record<CostPath, string> = {
  direct: 'Firehose Direct PUT (default)',
  stream: 'Kinesis → Firehose',
  glue: 'Kinesis → Glue streaming',
};
const PROFILE_LABEL: Record<CostProfile, string> = { small: 'small (default)', fleet: 'fleet' };

/** A markdown table as its header and rows of cells (what the document test compares). */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Dollars as the document writes them: 2 decimals below 1,000, whole dollars with separators above. */
export function dollars(usd: number): string {
  return usd < 1000 ? usd.toFixed(2) : Math.round(usd).toLocaleString('en-US');
}

const whole = (usd: number) => Math.round(usd).toLocaleString('en-US');
const totalOf = (scenario: CostScenario) => monthlyCost(scenario).total;

/** Monthly totals, whole dollars: every batching, path and profile. */
export function summaryTable(): Table {
  const rows: string[][] = [];
  for (const batchSeconds of BATCH_SECONDS) {
    for (const path of ['direct', 'stream', 'glue'] as const) {
      for (const profile of ['small', 'fleet'] as const) {
        rows.push([
          batchSeconds === 0 ? '0 (default: 1 message/s)' : String(batchSeconds),
          PATH_LABEL[path],
          PROFILE_LABEL[profile],
          ...FLEET_SIZES.map((devices) => whole(totalOf({ devices, batchSeconds, path, profile }))),
        ]);
      }
    }
  }
  return {
    header: ['agent `batchSeconds`', 'path', 'profile', '1 device', '100 devices', '10,000 devices'],
    rows,
  };
}

/** Per device per month, to the cent, on the Firehose paths. */
export function perDeviceTable(): Table {
  const rows: string[][] = [];
  for (const batchSeconds of [0, 60] as const) {
    for (const [path, profile] of [
      ['direct', 'small'],
      ['direct', 'fleet'],
      ['stream', 'small'],
    ] as const) {
      rows.push([
        String(batchSeconds),
        PATH_LABEL[path],
        PROFILE_LABEL[profile],
        ...FLEET_SIZES.map(
          (devices) => `$${(totalOf({ devices, batchSeconds, path, profile }) / devices).toFixed(2)}`,
        ),
      ]);
    }
  }
  return { header: ['`batchSeconds`', 'path', 'profile', '1 device', '100 devices', '10,000 devices'], rows };
}

/** Every line of the default deployment (Direct PUT, small profile) at `batchSeconds` 0, with its formula. */
export function everyLineTable(): Table {
  const months = FLEET_SIZES.map((devices) =>
    monthlyCost({ devices, batchSeconds: 0, path: 'direct', profile: 'small' }),
  );
  const [first] = months;
  if (first === undefined) throw new Error('no fleet size');
  const rows = first.lines.map((line, index) => [
    line.line,
    line.formula,
    ...months.map((month) => dollars(month.lines[index]?.usd ?? Number.NaN)),
  ]);
  rows.push(['**Total**', '', ...months.map((month) => `**${whole(month.total)}**`)]);
  return { header: ['line', 'formula (per month)', '1', '100', '10,000'], rows };
}

/** The lines another path or profile changes, against the default, at `batchSeconds` 0. */
export function differencesTable(): Table {
  const rows: string[][] = [];
  const base = FLEET_SIZES.map((devices) =>
    monthlyCost({ devices, batchSeconds: 0, path: 'direct', profile: 'small' }),
  );
  for (const [path, profile] of [
    ['stream', 'small'],
    ['glue', 'small'],
    ['direct', 'fleet'],
  ] as const) {
    const other = FLEET_SIZES.map((devices) => monthlyCost({ devices, batchSeconds: 0, path, profile }));
    const names = other[0]?.lines.map((line) => line.line) ?? [];
    names.forEach((name, index) => {
      const changed = other.some(
        (month, i) => Math.abs((month.lines[index]?.usd ?? 0) - (base[i]?.lines[index]?.usd ?? 0)) >= 0.005,
      );
      if (!changed) return;
      rows.push([
        `${PATH_LABEL[path]}, ${PROFILE_LABEL[profile]}`,
        name,
        ...other.map((month) => dollars(month.lines[index]?.usd ?? Number.NaN)),
      ]);
    });
    rows.push([
      `${PATH_LABEL[path]}, ${PROFILE_LABEL[profile]}`,
      '**Total**',
      ...other.map((month) => `**${whole(month.total)}**`),
    ]);
  }
  return { header: ['deployment', 'line', '1', '100', '10,000'], rows };
}

/** The lines batching changes, on the default deployment. */
export function batchingTable(): Table {
  const rows: string[][] = [];
  const changing = [
    'IoT Core messaging',
    'IoT rule → lake',
    'Firehose',
    'Firehose transform Lambda',
    'S3 requests',
    'CloudWatch Logs + alarms',
  ];
  for (const batchSeconds of [10, 60] as const) {
    const months = FLEET_SIZES.map((devices) =>
      monthlyCost({ devices, batchSeconds, path: 'direct', profile: 'small' }),
    );
    for (const name of changing) {
      rows.push([
        name,
        String(batchSeconds),
        ...months.map((month) => dollars(month.lines.find((line) => line.line === name)?.usd ?? Number.NaN)),
      ]);
    }
    rows.push(['**Total**', String(batchSeconds), ...months.map((month) => `**${whole(month.total)}**`)]);
  }
  return { header: ['line', '`batchSeconds`', '1', '100', '10,000'], rows };
}

/** The goals, as the model computes them. */
export function goalFigures(): {
  oneDeviceCoffeeAnHour: number;
  oneDeviceCoffeeAnHourBatched: number;
  perDeviceAt10k: number;
} {
  return {
    oneDeviceCoffeeAnHour: totalOf({
      devices: 1,
      batchSeconds: 0,
      path: 'direct',
      profile: 'small',
      photosPerDevice: 720,
    }),
    oneDeviceCoffeeAnHourBatched: totalOf({
      devices: 1,
      batchSeconds: 60,
      path: 'direct',
      profile: 'small',
      photosPerDevice: 720,
    }),
    perDeviceAt10k: totalOf({ devices: 10_000, batchSeconds: 60, path: 'direct', profile: 'small' }) / 10_000,
  };
}

/** A table as markdown (unaligned: the formatter aligns it). */
export function markdown(table: Table): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const numeric = (i: number) => table.rows.every((row) => /^(\*\*)?\$?[\d,.]+(\*\*)?$/.test(row[i] ?? ''));
  const separator = table.header.map((_, i) => (numeric(i) ? '---:' : '---'));
  return [line(table.header), line(separator), ...table.rows.map(line)].join('\n');
}
