/**
 * What the cost model assumes each device and each deployment uses in a 30-day month
 * (docs/costs.md, "Assumptions"). Measured figures say how they were measured; the others are
 * assumptions, named as such.
 */

/** 1 Hz for 30 days. */
export const READINGS_PER_DEVICE = 86_400 * 30;
/** One health message every 60 s (healthIntervalSeconds). */
export const HEALTH_MESSAGES_PER_DEVICE = 1_440 * 30;
/** Presses per device per month (5 a day); a coffee an hour is 720. */
export const DEFAULT_PHOTOS_PER_DEVICE = 150;
/** The topic `dt/coffee-iot/coffee-pi-01/telemetry`: IoT Core meters payload and topic together. */
export const TOPIC_BYTES = 36;
/** What the telemetry rule adds to the envelope: `,"type":"telemetry"` and `,"thing":"coffee-pi-01"`. */
export const RULE_ADDED_BYTES = 19 + 23;

/**
 * Envelope bytes by `batchSeconds`, measured with the agent's own code (docs/costs.md,
 * "Measuring the envelope"): every optional field, a 7-digit seq.
 */
export const ENVELOPE_BYTES: Readonly<Record<number, number>> = {
  0: 424,
  10: 3_352,
  14: 4_661,
  15: 4_990,
  60: 19_715,
};

/** Bytes per reading in S3: curated Parquet (measured 23–89 B, 100 B leaves room), raw gzip JSON, daily export. */
export const BYTES_PER_READING = { curated: 100, raw: 50, export: 400 };
/** One photo as the Pi uploads it, kept `photoRetentionDays` (30). */
export const PHOTO_BYTES = 300 * 1024;
/** The coffees row with the raw FaceDetails JSON, and the I/Os of recording one. */
export const COFFEE_ROW_BYTES = 4 * 1024;
export const IOS_PER_PHOTO = 50;

/**
 * RDS Data API calls: a photo (findByPhotoKey, then recordStreamedCoffee: begin, insert, device
 * upsert, commit) and a dashboard snapshot, each under 32 KiB. Counted on the test Data API
 * (test/src/db/data-api.test.ts).
 */
export const DATA_API_CALLS = { perPhoto: 5, perDashboardRequest: 8 };

/** Lambda durations at 512 MB (0.5 GB), assumed: Rekognition dominates the photo's. */
export const LAMBDA = {
  gb: 0.5,
  photoSeconds: 1.5,
  dashboardSeconds: 0.2,
  transformSeconds: 0.1,
  /** Billed per wake of a paused database while the Lambda retries DatabaseResumingException. */
  resumeWaitSeconds: 20,
};

/** What Firehose's buffering (as the stack sets it) does: 300 s or 64 MiB to S3, 60 s or 1 MiB to the transform. */
export const FIREHOSE_BUFFER = {
  s3Seconds: 300,
  s3Bytes: 64 * 1024 ** 2,
  transformSeconds: 60,
  transformBytes: 1024 ** 2,
};

/** The named queries: 10 runs a day, each over 30 days of data and 3 of the 22 columns (about 20 % of the bytes). */
export const NAMED_QUERIES = { runsPerDay: 10, daysRead: 30, columnShare: 0.2 };
/** The daily export scans the day's Parquet about three times: counts, UNLOAD, CSV. */
export const EXPORT_SCANS = 3;

/** Aurora Serverless v2 pausing at 0 ACU: a wake keeps it up 300 s after the last query, plus about 15 s to resume. */
export const AURORA_WAKE_MINUTES = 5.25;
export const AURORA_MIN_RUNNING_ACU = 0.5;
/** Dashboard sessions and exports a month that each wake the database at one device. */
export const DASHBOARD_SESSIONS = 60;
export const EXPORTS_PER_MONTH = 30;
/** Every dashboard request keeps the database up this long (the page polls every 15 s). */
export const SECONDS_AWAKE_PER_DASHBOARD_REQUEST = 15;

/** Alarms the stack deploys (infra/src/costs/monthly-cost.test.ts counts them in the template). */
export const ALARMS = 6;
/** About 1 KiB of CloudWatch Logs per Lambda invocation. */
export const LOG_BYTES_PER_INVOCATION = 1024;

/**
 * What changes with the size of the deployment, assumed rather than derived: dashboard
 * traffic, sign-ins, the database's average capacity, the Glue job's workers, VPC flow-log
 * background. The model answers for these three fleet sizes only.
 */
export interface ScaleAssumptions {
  dashboardRequests: number;
  cognitoMau: number;
  cloudFrontGb: number;
  /** Average ACU when the database is awake all month (2 at 10,000 devices: assumed, not measured). */
  auroraAcu: number;
  glueWorkers: number;
  /** VPC flow-log records of background housekeeping a month. */
  flowLogBackgroundRecords: { small: number; fleet: number };
}

export const SCALES: Readonly<Record<number, ScaleAssumptions>> = {
  1: {
    dashboardRequests: 10_000,
    cognitoMau: 2,
    cloudFrontGb: 1,
    auroraAcu: 0.5,
    glueWorkers: 2,
    flowLogBackgroundRecords: { small: 87_600, fleet: 87_600 },
  },
  100: {
    dashboardRequests: 100_000,
    cognitoMau: 10,
    cloudFrontGb: 5,
    auroraAcu: 0.5,
    glueWorkers: 2,
    flowLogBackgroundRecords: { small: 87_600, fleet: 87_600 },
  },
  10000: {
    dashboardRequests: 1_000_000,
    cognitoMau: 100,
    cloudFrontGb: 50,
    auroraAcu: 2,
    glueWorkers: 4,
    flowLogBackgroundRecords: { small: 5 * 87_600, fleet: 87_600 },
  },
};

/** VPC flow-log records in the fleet profile: a photo's calls through the NAT and the proxy, seen on both ENIs; a dashboard request's. */
export const FLOW_LOG_RECORDS = { perPhoto: 12, perDashboardRequest: 4, bytes: 150 };
/** NAT traffic per photo in the fleet profile: the photo Lambda's calls to Rekognition, the lake and Secrets Manager. */
export const NAT_BYTES_PER_PHOTO = 10 * 1024;
/** The export state machine's transitions per run. */
export const EXPORT_TRANSITIONS = 15;
