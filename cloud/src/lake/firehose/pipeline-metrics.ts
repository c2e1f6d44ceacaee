import type { LakeTableName } from '../columns.js';

/**
 * The pipeline's CloudWatch metrics, named once: the transformation Lambda emits them (Embedded
 * Metric Format), the IoT rule for forged device ids puts IdentityMismatches, and infra's alarms
 * watch them. Infra imports these constants, so a renamed metric cannot leave an alarm on a
 * metric that no longer exists.
 */
export const PIPELINE_METRICS_NAMESPACE = 'CoffeeIot/Pipeline';

export const PIPELINE_METRICS = Object.freeze({
  /** Records (or messages) whose payload named another device than their topic. */
  identityMismatches: 'IdentityMismatches',
  /** Single readings refused to errors/readings/ while their envelope's other readings landed. */
  refusedReadings: 'RefusedReadings',
  /** Whole records refused (ProcessingFailed: processing-failed/), forged ones among them. */
  refusedRecords: 'RefusedRecords',
});

/** The dimension the Lambda's metrics carry besides the dimensionless aggregate. */
export const PIPELINE_TABLE_DIMENSION = 'Table';

export interface PipelineMetricValues {
  identityMismatches: number;
  refusedReadings: number;
  refusedRecords: number;
}

/**
 * One Embedded Metric Format log line (CloudWatch Logs extracts the metrics from it; no API call,
 * no extra permission). Two dimension sets: by `Table`, and none at all, so that one alarm on
 * the dimensionless metric sees both delivery streams and the IoT rule (whose CloudWatch metric
 * action cannot set dimensions).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function pipelineMetricsLine(table: LakeTableName, values: PipelineMetricValues, at: Date): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: PIPELINE_METRICS_NAMESPACE,
          Dimensions: [[PIPELINE_TABLE_DIMENSION], []],
          Metrics: Object.values(PIPELINE_METRICS).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    [PIPELINE_TABLE_DIMENSION]: table,
    [PIPELINE_METRICS.identityMismatches]: values.identityMismatches,
    [PIPELINE_METRICS.refusedReadings]: values.refusedReadings,
    [PIPELINE_METRICS.refusedRecords]: values.refusedRecords,
  });
}
