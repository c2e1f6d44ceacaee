/**
 * AWS list prices in us-east-1 as of 2026, as docs/costs.md quotes them (its "Unit prices used"
 * table). Check the AWS pricing pages before relying on a figure; change a price here and the
 * test that holds docs/costs.md to this model names every figure of the document that moves.
 */
export const PRICES = {
  iot: {
    perMillionConnectionMinutes: 0.08,
    /** Per million 5 KB messages: the first 1 billion, the next 4 billion, beyond. */
    messagingTiers: [
      { upToMillions: 1_000, perMillion: 1.0 },
      { upToMillions: 5_000, perMillion: 0.8 },
      { upToMillions: Number.POSITIVE_INFINITY, perMillion: 0.7 },
    ],
    /** Per million rules triggered plus per million actions executed, 5 KB units. */
    rulePerMillion: 0.15,
    actionPerMillion: 0.15,
  },
  kinesis: { perShardHour: 0.015, perMillionPutUnits: 0.014 },
  firehose: {
    /** Ingestion (Direct PUT or from Kinesis), each record rounded up to 5 KB. */
    ingestPerGb: 0.029,
    formatConversionPerGb: 0.018,
    dynamicPartitioningPerGb: 0.02,
    dynamicPartitioningPerThousandObjects: 0.005,
  },
  gluePerDpuHour: 0.44,
  aurora: { perAcuHour: 0.12, storagePerGbMonth: 0.1, perMillionIo: 0.2 },
  rdsProxy: { perAcuHour: 0.015, minimumAcu: 8 },
  nat: { perHour: 0.045, publicIpv4PerHour: 0.005, perGb: 0.045 },
  s3: { perGbMonth: 0.023, perThousandPut: 0.005, perThousandGet: 0.0004 },
  lambda: { perGbSecond: 0.0000133334, perMillionRequests: 0.2 },
  /** DetectFaces per image: the first million a month, then the next four million. */
  rekognitionTiers: [
    { upTo: 1_000_000, perImage: 0.001 },
    { upTo: 5_000_000, perImage: 0.0008 },
  ],
  athenaPerTb: 5,
  cloudWatch: { logsPerGbIngested: 0.5, logsPerGbMonthStored: 0.03, perAlarm: 0.1 },
  httpApiPerMillion: 1.0,
  cloudFront: { perGbOut: 0.085, perTenThousandRequests: 0.01 },
  /** Cognito Plus plan (threat protection, the stack's default): no free tier. */
  cognitoPlusPerMau: 0.02,
  dataApiPerMillion: 0.35,
  secretPerMonth: 0.4,
  stepFunctionsPerThousandTransitions: 0.025,
} as const;

/** Hours billed in a month. */
export const HOURS_PER_MONTH = 730;
export const KIB = 1024;
export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;
export const TIB = 1024 ** 4;
