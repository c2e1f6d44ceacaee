import {
  IDENTITY_MISMATCH_REASON,
  RESERVED_THING_FIELD_REASON,
  THING_FIELD,
  TOPIC_RULE_SQL_VERSION,
  telemetryTopicRuleSql,
  thingTopicLevel,
  topicFilter,
} from '@coffee-iot/shared';
import { Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Construct } from 'constructs';
import { CERTIFICATE_REPORT_KIND } from '../../../cloud/src/cert-rotation/certificate-report.js';
// Not exported from '@coffee-iot/cloud/lake' (yet): the lake's prefixes and the pipeline metrics.
import {
  PIPELINE_METRICS,
  PIPELINE_METRICS_NAMESPACE,
} from '../../../cloud/src/lake/firehose/pipeline-metrics.js';
import { LAKE_PREFIXES } from '../../../cloud/src/lake/layout.js';
import { RULE_ERROR_S3_KEY_TEMPLATE, RULE_ERRORS_PREFIX } from '../../../cloud/src/lake/rule-errors.js';
import type { Lake } from './lake.js';

/** Where the coffee-events rule archives each coffee event as it was published. */
export const COFFEE_EVENTS_PREFIX = 'events/coffee/';
/** Where the identity rule keeps each message whose deviceId is not its topic's thing name. */
export const IDENTITY_ERRORS_PREFIX = `${LAKE_PREFIXES.errors}/identity`;

/** Where the telemetry rule puts each envelope: the ingest stream, or the telemetry delivery stream. */
export type TelemetryRuleTarget =
  | { readonly kind: 'kinesis'; readonly stream: IStream }
  | { readonly kind: 'firehose'; readonly deliveryStream: CfnDeliveryStream };

export interface TopicRulesProps {
  readonly topicPrefix: string;
  readonly telemetryTarget: TelemetryRuleTarget;
  readonly lake: Lake;
}

/**
 * The IoT SQL of the rule that catches forged identities on every device topic under `prefix`:
 * - a message but telemetry whose `deviceId` is missing, not a string, or not the topic's thing
 *   name (IoT Core's policy binds the topic's thing to the certificate; the payload is only a
 *   claim). Certificate rotation reports are not checked: they carry no deviceId, and their
 *   rule takes the sender from IoT Core itself (`principal()`, cert-rotation.ts);
 * - a telemetry message that sets `thing` itself, which the telemetry rule does not forward
 *   (RESERVED_THING_FIELD_REASON).
 * It keeps the message's bytes (base64: a payload that is not JSON has no deviceId and is caught
 * too) with the topic, client id, arrival and reason. A telemetry envelope whose deviceId is
 * forged is left to the lake's transform, which refuses, keeps and counts it itself: counting it
 * here as well would count every forgery twice. In WHERE, `thing` is the payload's own field:
 * IoT SQL evaluates WHERE on the incoming message, not on the SELECT's aliases.
 */
export function identityMismatchRuleSql(prefix: string): string {
  if (prefix.includes("'")) throw new TypeError(`topic prefix "${prefix}" must not contain a single quote`);
  for (const reason of [IDENTITY_MISMATCH_REASON, RESERVED_THING_FIELD_REASON]) {
    if (reason.includes("'")) throw new TypeError(`reason "${reason}" must not contain a single quote`);
  }
  const thing = `topic(${thingTopicLevel(prefix)})`;
  const kind = `topic(${thingTopicLevel(prefix) + 1})`;
  return [
    `SELECT topic() AS topic, clientid() AS clientId, encode(*, 'base64') AS base64OriginalPayload,`,
    `timestamp() AS arrivedAtMs, ${thing} AS thing,`,
    `CASE ${kind} WHEN 'telemetry' THEN '${RESERVED_THING_FIELD_REASON}' ELSE '${IDENTITY_MISMATCH_REASON}' END AS reason`,
    `FROM '${topicFilter(prefix, '+')}'`,
    `WHERE (${kind} <> 'telemetry' AND ${kind} <> '${CERTIFICATE_REPORT_KIND}' AND NOT (${sameDevice(thing)}))`,
    `OR (${kind} = 'telemetry' AND NOT isUndefined(${THING_FIELD}))`,
  ].join(' ');
}

/**
 * The payload's deviceId is the topic's thing. isString() first: a comparison with a missing or
 * non-string deviceId is Undefined in IoT SQL, and a WHERE that is Undefined drops the message.
 */
function sameDevice(thing: string): string {
  return `isString(deviceId) AND deviceId = ${thing}`;
}

/** The key template of the identity rule's S3 action: the rule errors' hourly layout under errors/identity/. */
export const IDENTITY_ERROR_S3_KEY_TEMPLATE = `${IDENTITY_ERRORS_PREFIX}${RULE_ERROR_S3_KEY_TEMPLATE.slice(RULE_ERRORS_PREFIX.length)}`;

/**
 * The telemetry rule (→ ingest stream or telemetry delivery stream), the coffee-events rule (→ lake archive) and the identity
 * rule (→ errors/identity/ and a CloudWatch metric), one role. Each has one error action, and it
 * is S3, the lake's errors/rule/: a message a rule could not deliver never reached the stream or
 * the archive, so the lake keeps its only copy, in AWS IoT's error message shape (topic, client
 * id, base64 payload, failures), where the local stack writes its own (cloud/src/lake/rule-errors.ts).
 * CloudWatch Logs would only hold it 30 days, away from the rest of the lake's errors.
 */
export class TopicRules extends Construct {
  readonly telemetry: CfnTopicRule;
  readonly coffeeEvents: CfnTopicRule;
  readonly identityMismatches: CfnTopicRule;

  constructor(scope: Construct, id: string, props: TopicRulesProps) {
    super(scope, id);
    const { telemetryTarget, lake } = props;
    const stack = Stack.of(this);
    // `{prefix}/{thing}/{kind}`: the thing name is the topic level right after the prefix.
    const thingLevel = `topic(${thingTopicLevel(props.topicPrefix)})`;
    const thing = `\${${thingLevel}}`;

    const role = new Role(this, 'Role', {
      description:
        'coffee-iot topic rules: put telemetry into the lake, archive coffee events, keep refused messages in the lake',
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: {
        TopicRules: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'PutTelemetry',
              ...(telemetryTarget.kind === 'kinesis'
                ? { actions: ['kinesis:PutRecord'], resources: [telemetryTarget.stream.streamArn] }
                : { actions: ['firehose:PutRecord'], resources: [telemetryTarget.deliveryStream.attrArn] }),
            }),
            new PolicyStatement({
              sid: 'ArchiveCoffeeEvents',
              actions: ['s3:PutObject'],
              resources: [lake.bucket.arnForObjects(`${COFFEE_EVENTS_PREFIX}*`)],
            }),
            new PolicyStatement({
              sid: 'KeepRefusedMessages',
              actions: ['s3:PutObject'],
              resources: [
                lake.bucket.arnForObjects(`${RULE_ERRORS_PREFIX}/*`),
                lake.bucket.arnForObjects(`${IDENTITY_ERRORS_PREFIX}/*`),
              ],
            }),
            new PolicyStatement({
              // PutMetricData has no resource-level permissions: the namespace condition is its scope.
              sid: 'CountIdentityMismatches',
              actions: ['cloudwatch:PutMetricData'],
              resources: ['*'],
              conditions: { StringEquals: { 'cloudwatch:namespace': PIPELINE_METRICS_NAMESPACE } },
            }),
          ],
        }),
      },
    });
    const errorAction: CfnTopicRule.ActionProperty = {
      s3: { bucketName: lake.bucket.bucketName, key: RULE_ERROR_S3_KEY_TEMPLATE, roleArn: role.roleArn },
    };

    this.telemetry = new CfnTopicRule(this, 'Telemetry', {
      topicRulePayload: {
        description:
          telemetryTarget.kind === 'kinesis'
            ? "Device telemetry envelopes, plus type=telemetry and the topic's thing, onto the ingest stream"
            : "Device telemetry envelopes, plus type=telemetry and the topic's thing, into the telemetry delivery stream",
        sql: telemetryTopicRuleSql(props.topicPrefix),
        awsIotSqlVersion: TOPIC_RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [telemetryAction(telemetryTarget, thing, role.roleArn)],
        errorAction,
      },
    });

    this.coffeeEvents = new CfnTopicRule(this, 'CoffeeEvents', {
      topicRulePayload: {
        description:
          'Coffee button events whose deviceId is their topic thing, archived as published under events/coffee/{thing}/ in the lake',
        // The others (forged, missing or malformed deviceId) are the identity rule's.
        sql: `SELECT * FROM '${topicFilter(props.topicPrefix, 'coffee')}' WHERE ${sameDevice(thingLevel)}`,
        awsIotSqlVersion: TOPIC_RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [
          {
            s3: {
              bucketName: lake.bucket.bucketName,
              key: `${COFFEE_EVENTS_PREFIX}${thing}/\${timestamp()}.json`,
              roleArn: role.roleArn,
            },
          },
        ],
        errorAction,
      },
    });

    this.identityMismatches = new CfnTopicRule(this, 'IdentityMismatches', {
      topicRulePayload: {
        description: `Messages whose deviceId is not their topic thing, or telemetry that sets thing itself: kept under ${IDENTITY_ERRORS_PREFIX}/ and counted`,
        sql: identityMismatchRuleSql(props.topicPrefix),
        awsIotSqlVersion: TOPIC_RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [
          {
            s3: {
              bucketName: lake.bucket.bucketName,
              key: IDENTITY_ERROR_S3_KEY_TEMPLATE,
              roleArn: role.roleArn,
            },
          },
          {
            cloudwatchMetric: {
              metricNamespace: PIPELINE_METRICS_NAMESPACE,
              metricName: PIPELINE_METRICS.identityMismatches,
              metricValue: '1',
              metricUnit: 'Count',
              roleArn: role.roleArn,
            },
          },
        ],
        errorAction,
      },
    });
  }
}

/**
 * Kinesis: partition key = thing name = device id (DESIGN.md), so one device's records stay in
 * order. Firehose: one record per message (PutRecord), each ended by a newline so that raw/, the
 * source-record backup, holds one record per line; the transform reads a record with or without it.
 */
function telemetryAction(
  target: TelemetryRuleTarget,
  thing: string,
  roleArn: string,
): CfnTopicRule.ActionProperty {
  return target.kind === 'kinesis'
    ? { kinesis: { streamName: target.stream.streamName, partitionKey: thing, roleArn } }
    : {
        firehose: {
          deliveryStreamName: target.deliveryStream.ref,
          separator: '\n',
          batchMode: false,
          roleArn,
        },
      };
}
