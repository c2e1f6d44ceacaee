import { GIB, HOURS_PER_MONTH, KIB, MIB, PRICES, TIB } from './prices.js';
import {
  ALARMS,
  AURORA_MIN_RUNNING_ACU,
  AURORA_WAKE_MINUTES,
  BYTES_PER_READING,
  COFFEE_ROW_BYTES,
  DASHBOARD_SESSIONS,
  DATA_API_CALLS,
  DEFAULT_PHOTOS_PER_DEVICE,
  ENVELOPE_BYTES,
  EXPORT_SCANS,
  EXPORT_TRANSITIONS,
  EXPORTS_PER_MONTH,
  FIREHOSE_BUFFER,
  FLOW_LOG_RECORDS,
  HEALTH_MESSAGES_PER_DEVICE,
  IOS_PER_PHOTO,
  LAMBDA,
  LOG_BYTES_PER_INVOCATION,
  NAMED_QUERIES,
  NAT_BYTES_PER_PHOTO,
  PHOTO_BYTES,
  READINGS_PER_DEVICE,
  RULE_ADDED_BYTES,
  SCALES,
  SECONDS_AWAKE_PER_DASHBOARD_REQUEST,
  TOPIC_BYTES,
} from './usage.js';

/**
 * How records reach the lake: Firehose by Direct PUT (the default), Firehose reading the Kinesis
 * ingest stream, or the Glue streaming job reading it.
 */
export type CostPath = 'direct' | 'stream' | 'glue';
export type CostProfile = 'small' | 'fleet';

export interface CostScenario {
  readonly devices: number;
  readonly batchSeconds: number;
  readonly path: CostPath;
  readonly profile: CostProfile;
  /** Photos per device a month (default 150: 5 presses a day). */
  readonly photosPerDevice?: number;
}

export interface CostLine {
  readonly line: string;
  /** How the line is computed, in the words docs/costs.md prints. */
  readonly formula: string;
  readonly usd: number;
}

export interface MonthlyCost {
  readonly lines: readonly CostLine[];
  readonly total: number;
}

export class CostScenarioError extends Error {
  override readonly name = 'CostScenarioError';
}

const SECONDS_PER_MONTH = READINGS_PER_DEVICE;
const FIVE_KB = 5 * KIB;

/** The month of one scenario, line by line (docs/costs.md, "Every line"); lines that do not apply are 0. */
export function monthlyCost(scenario: CostScenario): MonthlyCost {
  const { devices: n, batchSeconds, path, profile } = scenario;
  const scale = SCALES[n];
  if (scale === undefined) {
    throw new CostScenarioError(`the model's scale assumptions cover 1, 100 and 10,000 devices, not ${n}`);
  }
  const envelope = ENVELOPE_BYTES[batchSeconds];
  if (envelope === undefined) {
    throw new CostScenarioError(
      `no measured envelope for batchSeconds ${batchSeconds} (measured: ${Object.keys(ENVELOPE_BYTES).join(', ')})`,
    );
  }
  const photos = n * (scenario.photosPerDevice ?? DEFAULT_PHOTOS_PER_DEVICE);
  const readings = n * READINGS_PER_DEVICE;
  const readingsPerMessage = Math.max(1, batchSeconds);
  const telemetryMessages = readings / readingsPerMessage;
  const unitsPerMessage = Math.ceil((envelope + TOPIC_BYTES) / FIVE_KB);
  const recordBytes = envelope + RULE_ADDED_BYTES;
  const telemetryBytes = telemetryMessages * recordBytes;
  const lambdaCall = (seconds: number) =>
    LAMBDA.gb * seconds * PRICES.lambda.perGbSecond + PRICES.lambda.perMillionRequests / 1e6;

  // Firehose: what each delivery stream receives, buffers into objects, and hands its transform.
  // From the stream, both delivery streams read every record and each drops the other table's.
  const firehose = path !== 'glue';
  const viaStream = path !== 'direct';
  const coffeeRecords = photos;
  const telemetryObjects = Math.max(
    Math.min(telemetryMessages, SECONDS_PER_MONTH / FIREHOSE_BUFFER.s3Seconds),
    Math.ceil(telemetryBytes / FIREHOSE_BUFFER.s3Bytes),
  );
  const coffeeObjects = Math.min(coffeeRecords, SECONDS_PER_MONTH / FIREHOSE_BUFFER.s3Seconds);
  const telemetryInvocations = Math.max(
    Math.min(telemetryMessages, SECONDS_PER_MONTH / FIREHOSE_BUFFER.transformSeconds),
    Math.ceil(telemetryBytes / FIREHOSE_BUFFER.transformBytes),
  );
  const coffeeInvocations = viaStream
    ? telemetryInvocations
    : Math.min(coffeeRecords, SECONDS_PER_MONTH / FIREHOSE_BUFFER.transformSeconds);
  // raw/: the telemetry delivery stream backs up the whole stream; Direct PUT, each its own records.
  const rawObjects = viaStream ? telemetryObjects : telemetryObjects + coffeeObjects;
  const firehoseObjects = firehose ? telemetryObjects + coffeeObjects + rawObjects : 0;
  const transformInvocations = firehose ? telemetryInvocations + coffeeInvocations : 0;

  // Aurora in the small profile: awake 5.25 min per use that finds it paused, at 0.5 ACU.
  const wakes = photos + DASHBOARD_SESSIONS + EXPORTS_PER_MONTH;
  const awakeHours = Math.min(
    HOURS_PER_MONTH,
    (wakes * AURORA_WAKE_MINUTES) / 60 +
      (scale.dashboardRequests * SECONDS_AWAKE_PER_DASHBOARD_REQUEST) / 3600,
  );
  const neverPauses = awakeHours >= HOURS_PER_MONTH || scale.auroraAcu > AURORA_MIN_RUNNING_ACU;
  const auroraCompute =
    profile === 'fleet' || neverPauses
      ? scale.auroraAcu * HOURS_PER_MONTH * PRICES.aurora.perAcuHour
      : awakeHours * AURORA_MIN_RUNNING_ACU * PRICES.aurora.perAcuHour;

  const shards = Math.max(
    1,
    Math.ceil(telemetryMessages / SECONDS_PER_MONTH / 1000),
    Math.ceil(telemetryBytes / SECONDS_PER_MONTH / MIB),
  );
  const firehoseGb = (records: number, bytes: number) =>
    (records * Math.ceil(bytes / FIVE_KB) * FIVE_KB) / GIB;
  const firehoseBilledGb = viaStream
    ? 2 * (firehoseGb(telemetryMessages, recordBytes) + firehoseGb(coffeeRecords, 1))
    : firehoseGb(telemetryMessages, recordBytes) + firehoseGb(coffeeRecords, 1);
  const firehosePerGb =
    PRICES.firehose.ingestPerGb +
    PRICES.firehose.formatConversionPerGb +
    PRICES.firehose.dynamicPartitioningPerGb;
  const curatedObjects = viaStream ? 2 * telemetryObjects : telemetryObjects + coffeeObjects;

  const invocations = transformInvocations + photos + scale.dashboardRequests;
  const namedQueryBytes =
    n *
    86_400 *
    BYTES_PER_READING.curated *
    NAMED_QUERIES.daysRead *
    NAMED_QUERIES.columnShare *
    NAMED_QUERIES.runsPerDay *
    30;
  const athenaGets = 2 * telemetryObjects * NAMED_QUERIES.runsPerDay * 30;

  const lines: CostLine[] = [
    {
      line: 'IoT Core connectivity',
      formula: 'N × 43,200 connection-minutes × $0.08/M',
      usd: (n * HEALTH_MESSAGES_PER_DEVICE * PRICES.iot.perMillionConnectionMinutes) / 1e6,
    },
    {
      line: 'IoT Core messaging',
      formula:
        'N × (telemetry messages × 5 KB units + 43,200 health + photos coffee events), tiered $1.00 / $0.80 / $0.70 per M',
      usd: tiered(n * HEALTH_MESSAGES_PER_DEVICE + photos + telemetryMessages * unitsPerMessage),
    },
    {
      line: 'IoT rule → lake',
      formula: 'telemetry messages × 5 KB units × ($0.15 + $0.15)/M (rule + action)',
      usd:
        (telemetryMessages * unitsPerMessage * (PRICES.iot.rulePerMillion + PRICES.iot.actionPerMillion)) /
        1e6,
    },
    {
      line: 'Kinesis shard-hours',
      formula: 'stream path: shards × 730 h × $0.015; shards = max(1, ⌈records/s ÷ 1,000⌉, ⌈MiB/s⌉)',
      usd: viaStream ? shards * HOURS_PER_MONTH * PRICES.kinesis.perShardHour : 0,
    },
    {
      line: 'Kinesis PUT payload units',
      formula: 'stream path: (telemetry + coffee records) × 25 KB units × $0.014/M',
      usd: viaStream
        ? ((telemetryMessages * Math.ceil(recordBytes / (25 * KIB)) + coffeeRecords) *
            PRICES.kinesis.perMillionPutUnits) /
          1e6
        : 0,
    },
    {
      line: 'Firehose',
      formula:
        'billed GB (each record rounded up to 5 KB; from the stream both delivery streams bill every record) × ($0.029 + $0.018 + $0.020) + curated objects × $0.005/1,000',
      usd: firehose
        ? firehoseBilledGb * firehosePerGb +
          (curatedObjects * PRICES.firehose.dynamicPartitioningPerThousandObjects) / 1000
        : 0,
    },
    {
      line: 'Firehose transform Lambda',
      formula:
        'invocations (every 60 s or 1 MiB, per delivery stream) × (0.5 GB × 0.1 s × $0.0000133334 + $0.20/M)',
      usd: transformInvocations * lambdaCall(LAMBDA.transformSeconds),
    },
    {
      line: 'Glue streaming job',
      formula: 'Glue path: workers (2 G.1X; 4 at 10,000 devices) × 730 h × $0.44',
      usd: path === 'glue' ? scale.glueWorkers * HOURS_PER_MONTH * PRICES.gluePerDpuHour : 0,
    },
    {
      line: 'Aurora Serverless v2 compute',
      formula:
        'fleet: ACU (0.5; 2 at 10,000) × 730 h × $0.12. small: awake hours × 0.5 ACU × $0.12, awake = min(730, (photos + 60 sessions + 30 exports) × 5.25 min + dashboard requests × 15 s)',
      usd: auroraCompute,
    },
    {
      line: 'Aurora storage + I/O',
      formula: 'photos × 4 KiB × $0.10/GB + photos × 50 I/O × $0.20/M',
      usd:
        ((photos * COFFEE_ROW_BYTES) / GIB) * PRICES.aurora.storagePerGbMonth +
        (photos * IOS_PER_PHOTO * PRICES.aurora.perMillionIo) / 1e6,
    },
    {
      line: 'RDS Data API',
      formula: `small: (photos × ${DATA_API_CALLS.perPhoto} + dashboard requests × ${DATA_API_CALLS.perDashboardRequest}) calls × $0.35/M`,
      usd:
        profile === 'small'
          ? ((photos * DATA_API_CALLS.perPhoto +
              scale.dashboardRequests * DATA_API_CALLS.perDashboardRequest) *
              PRICES.dataApiPerMillion) /
            1e6
          : 0,
    },
    {
      line: 'Lambdas waiting for a resume',
      formula: 'small, while it pauses: (photos + 60 + 30) wakes × 20 s × 0.5 GB × $0.0000133334',
      usd:
        profile === 'small' && !neverPauses
          ? wakes * LAMBDA.resumeWaitSeconds * LAMBDA.gb * PRICES.lambda.perGbSecond
          : 0,
    },
    {
      line: 'RDS Proxy',
      formula: 'fleet: max(8, ACU) × 730 h × $0.015',
      usd:
        profile === 'fleet'
          ? Math.max(PRICES.rdsProxy.minimumAcu, scale.auroraAcu) *
            HOURS_PER_MONTH *
            PRICES.rdsProxy.perAcuHour
          : 0,
    },
    {
      line: 'NAT gateway',
      formula: 'fleet: 730 h × ($0.045 + $0.005 IPv4) + photos × 10 KiB × $0.045/GB',
      usd:
        profile === 'fleet'
          ? HOURS_PER_MONTH * (PRICES.nat.perHour + PRICES.nat.publicIpv4PerHour) +
            ((photos * NAT_BYTES_PER_PHOTO) / GIB) * PRICES.nat.perGb
          : 0,
    },
    {
      line: 'VPC flow logs',
      formula:
        'records (background 87,600, × 5 at 10,000 in small; fleet adds 12 per photo + 4 per dashboard request) × 150 B × ($0.50 + $0.03)/GB',
      usd:
        (((profile === 'fleet'
          ? scale.flowLogBackgroundRecords.fleet +
            photos * FLOW_LOG_RECORDS.perPhoto +
            scale.dashboardRequests * FLOW_LOG_RECORDS.perDashboardRequest
          : scale.flowLogBackgroundRecords.small) *
          FLOW_LOG_RECORDS.bytes) /
          GIB) *
        (PRICES.cloudWatch.logsPerGbIngested + PRICES.cloudWatch.logsPerGbMonthStored),
    },
    {
      line: 'S3 lake (curated + raw)',
      formula: 'readings × (100 + 50) B × $0.023/GB, added every month (cumulative)',
      usd: ((readings * (BYTES_PER_READING.curated + BYTES_PER_READING.raw)) / GIB) * PRICES.s3.perGbMonth,
    },
    {
      line: 'S3 daily exports',
      formula: 'readings × 400 B × $0.023/GB, added every month (cumulative)',
      usd: ((readings * BYTES_PER_READING.export) / GIB) * PRICES.s3.perGbMonth,
    },
    {
      line: 'S3 photos',
      formula: 'photos × 300 KiB kept 30 days × $0.023/GB',
      usd: ((photos * PHOTO_BYTES) / GIB) * PRICES.s3.perGbMonth,
    },
    {
      line: 'S3 requests',
      formula:
        'PUT: photos + Firehose objects (curated + raw) × $0.005/1,000. GET: 3 per photo + 2 per telemetry object the named queries read × $0.0004/1,000',
      usd:
        ((photos + firehoseObjects) * PRICES.s3.perThousandPut) / 1000 +
        ((3 * photos + athenaGets) * PRICES.s3.perThousandGet) / 1000,
    },
    {
      line: 'Photo Lambda',
      formula: 'photos × (0.5 GB × 1.5 s × $0.0000133334 + $0.20/M)',
      usd: photos * lambdaCall(LAMBDA.photoSeconds),
    },
    {
      line: 'Rekognition DetectFaces',
      formula: 'photos × $0.001 (first 1 M), then $0.0008',
      usd: rekognition(photos),
    },
    {
      line: 'Athena: daily export',
      formula: 'N × 86,400 × 100 B × 3 scans × 30 days × $5/TB',
      usd: ((n * 86_400 * BYTES_PER_READING.curated * EXPORT_SCANS * 30) / TIB) * PRICES.athenaPerTb,
    },
    {
      line: 'Athena: named queries',
      formula: 'N × 86,400 × 100 B × 30 days read × 20 % of the columns × 10 runs × 30 days × $5/TB',
      usd: (namedQueryBytes / TIB) * PRICES.athenaPerTb,
    },
    {
      line: 'Dashboard: HTTP API + Lambda',
      formula: 'requests (10 k, 100 k, 1 M) × ($1.00/M + 0.5 GB × 0.2 s × $0.0000133334 + $0.20/M)',
      usd: scale.dashboardRequests * (PRICES.httpApiPerMillion / 1e6 + lambdaCall(LAMBDA.dashboardSeconds)),
    },
    {
      line: 'CloudFront',
      formula: 'GB out (1, 5, 50) × $0.085 + requests × $0.01/10,000',
      usd:
        scale.cloudFrontGb * PRICES.cloudFront.perGbOut +
        (scale.dashboardRequests * PRICES.cloudFront.perTenThousandRequests) / 10_000,
    },
    {
      line: 'Cognito (Plus plan)',
      formula: 'MAU (2, 10, 100) × $0.02',
      usd: scale.cognitoMau * PRICES.cognitoPlusPerMau,
    },
    {
      line: 'CloudWatch Logs + alarms',
      formula: `invocations × 1 KiB × ($0.50 + $0.03)/GB + ${ALARMS} alarms × $0.10`,
      usd:
        ((invocations * LOG_BYTES_PER_INVOCATION) / GIB) *
          (PRICES.cloudWatch.logsPerGbIngested + PRICES.cloudWatch.logsPerGbMonthStored) +
        ALARMS * PRICES.cloudWatch.perAlarm,
    },
    {
      line: 'Secrets Manager, Step Functions',
      formula: '1 secret × $0.40 + 30 exports × 15 transitions × $0.025/1,000',
      usd:
        PRICES.secretPerMonth +
        (EXPORTS_PER_MONTH * EXPORT_TRANSITIONS * PRICES.stepFunctionsPerThousandTransitions) / 1000,
    },
  ];
  return { lines, total: lines.reduce((sum, { usd }) => sum + usd, 0) };
}

/** IoT Core messaging, tiered per million 5 KB units. */
function tiered(units: number): number {
  let usd = 0;
  let below = 0;
  for (const tier of PRICES.iot.messagingTiers) {
    const inTier = Math.max(0, Math.min(units / 1e6, tier.upToMillions) - below);
    usd += inTier * tier.perMillion;
    below = tier.upToMillions;
  }
  return usd;
}

function rekognition(images: number): number {
  let usd = 0;
  let below = 0;
  for (const tier of PRICES.rekognitionTiers) {
    usd += Math.max(0, Math.min(images, tier.upTo) - below) * tier.perImage;
    below = tier.upTo;
  }
  return usd;
}
