import { THING_FIELD, TOPIC_RULE_SQL_VERSION, thingTopicLevel, topicPrefixProblem } from '@coffee-iot/shared';
import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CERTIFICATE_REPORT_KIND } from '../../../cloud/src/cert-rotation/certificate-report.js';
import { CoffeeLambda } from './coffee-lambda.js';

export interface CertRotationProps {
  readonly topicPrefix: string;
  /** The IoT policy every device certificate carries (DeviceIdentity.policyName). */
  readonly devicePolicyName: string;
}

/**
 * The rule's IoT SQL: every certificate report, with the thing its topic names and the certificate
 * the report was sent with (`principal()`), which the payload cannot forge.
 */
export function certificateRuleSql(prefix: string): string {
  const problem = topicPrefixProblem(prefix);
  if (problem) throw new Error(`topic prefix "${prefix}" ${problem}`);
  if (prefix.includes("'")) throw new Error(`topic prefix "${prefix}" must not contain a single quote`);
  return `SELECT *, topic(${thingTopicLevel(prefix)}) AS ${THING_FIELD}, principal() AS principal FROM '${prefix}/+/${CERTIFICATE_REPORT_KIND}'`;
}

/**
 * The cloud half of certificate rotation: a topic rule on `{prefix}/+/certificate` invokes a
 * Lambda (cloud/src/handlers/cert-rotation.ts) that attaches a device's new certificate on
 * `issued` and retires the old ones on `connected`. An invocation that fails every retry, or that
 * the rule could not make, lands in the FailedReports queue (its depth is the count to watch; no
 * alarm of its own, which would add $0.10 a month to the cost model in docs/costs.md).
 * No fixed cost: one Lambda invocation and two IoT rule actions per rotation.
 */
export class CertRotation extends Construct {
  readonly function: IFunction;
  readonly rule: CfnTopicRule;
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: CertRotationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const iotArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'iot', resource, resourceName });

    this.failureQueue = new Queue(this, 'FailedReports', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const lambda = new CoffeeLambda(this, 'Rotator', {
      handler: 'cert-rotation',
      description:
        'coffee-iot certificate rotation: attach a device’s new certificate, then retire its old ones',
      environment: { DEVICE_POLICY_NAME: props.devicePolicyName },
      memorySize: 256,
      timeout: Duration.seconds(30),
      functionProps: {
        // IoT invokes asynchronously: two retries (every step is safe to repeat), then the queue.
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        onFailure: new SqsDestination(this.failureQueue),
      },
    });
    this.function = lambda.function;
    const certificates = iotArn('cert', '*');
    lambda.function.addToRolePolicy(
      new PolicyStatement({
        // Any device's certificate: which one a report names is only known at run time.
        sid: 'RotateCertificates',
        actions: ['iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:AttachPolicy', 'iot:DetachPolicy'],
        resources: [certificates],
      }),
    );
    lambda.function.addToRolePolicy(
      new PolicyStatement({
        // These have no resource-level permissions: IAM only accepts "*" for them.
        sid: 'ThingCertificateLinks',
        actions: [
          'iot:ListThingPrincipals',
          'iot:ListPrincipalThings',
          'iot:ListAttachedPolicies',
          'iot:AttachThingPrincipal',
          'iot:DetachThingPrincipal',
        ],
        resources: ['*'],
      }),
    );

    const ruleRole = new Role(this, 'RuleErrorRole', {
      description: 'coffee-iot certificate rule: keep a report it could not hand to the rotation Lambda',
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: {
        KeepFailedReports: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['sqs:SendMessage'],
              resources: [this.failureQueue.queueArn],
            }),
          ],
        }),
      },
    });

    this.rule = new CfnTopicRule(this, 'Rule', {
      topicRulePayload: {
        description:
          "Certificate rotation reports, with the topic's thing and the sending certificate, to the rotation Lambda",
        sql: certificateRuleSql(props.topicPrefix),
        awsIotSqlVersion: TOPIC_RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [{ lambda: { functionArn: lambda.function.functionArn } }],
        errorAction: {
          sqs: { queueUrl: this.failureQueue.queueUrl, roleArn: ruleRole.roleArn, useBase64: false },
        },
      },
    });
    lambda.function.addPermission('InvokedByCertificateRule', {
      principal: new ServicePrincipal('iot.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceArn: this.rule.attrArn,
      sourceAccount: stack.account,
    });
  }
}
