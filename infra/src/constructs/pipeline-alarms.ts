import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  PIPELINE_METRICS,
  PIPELINE_METRICS_NAMESPACE,
} from '../../../cloud/src/lake/firehose/pipeline-metrics.js';

const ALARM_PERIOD = Duration.minutes(5);

export interface PipelineAlarmsProps {
  /** Where the alarms notify; without it they only show in the console. */
  readonly alarmTopic?: ITopic;
}

/**
 * The ingest pipeline's integrity alarms, on the dimensionless metrics (the transformation Lambda
 * emits each with and without its Table dimension; the identity rule's metric action has none),
 * so one alarm sees every source:
 * - IdentityMismatches: a device published a payload naming another device (a forged or
 *   misconfigured device id), refused by the topic rule or the Firehose transform;
 * - RefusedReadings: readings refused on their own (out of the Sense HAT's ranges, from the future).
 * Any one in 5 minutes raises the alarm; no data is normal (nothing refused).
 */
export class PipelineAlarms extends Construct {
  readonly identityMismatches: Alarm;
  readonly refusedReadings: Alarm;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps = {}) {
    super(scope, id);
    const anyIn5Minutes = (alarmId: string, metricName: string, description: string) => {
      const alarm = new Alarm(this, alarmId, {
        metric: new Metric({
          namespace: PIPELINE_METRICS_NAMESPACE,
          metricName,
          statistic: 'Sum',
          period: ALARM_PERIOD,
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
      return alarm;
    };
    this.identityMismatches = anyIn5Minutes(
      'IdentityMismatchesAlarm',
      PIPELINE_METRICS.identityMismatches,
      'A device published a payload whose deviceId is not its topic thing name: refused, see errors/identity/ and processing-failed/ in the lake',
    );
    this.refusedReadings = anyIn5Minutes(
      'RefusedReadingsAlarm',
      PIPELINE_METRICS.refusedReadings,
      'Readings were refused on their own (out of range, from the future): see errors/readings/ in the lake',
    );
  }
}
