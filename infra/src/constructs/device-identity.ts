import { deviceTopicGrants, logKeyPrefix, PHOTO_KEY_PREFIX, topicPrefixProblem } from '@coffee-iot/shared';
import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPolicy, CfnRoleAlias } from 'aws-cdk-lib/aws-iot';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface DeviceIdentityProps {
  /** The topic prefix every device publishes under (`{prefix}/{thing}/{kind}`), e.g. `dt/coffee-iot`. */
  readonly topicPrefix: string;
  /**
   * The bucket devices upload to, each under `photos/{its thing name}/` (coffee photos) and
   * `logs/{its thing name}/` (the `upload-logs` job).
   */
  readonly photoBucket: IBucket;
}

/** The IoT policy variable naming the connected thing (the certificate's attached thing). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, resolved by IoT Core
const THING = '${iot:Connection.Thing.ThingName}';
/** The same thing name, as the credential provider puts it into the role's session. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, resolved by IAM
const CREDENTIALS_THING = '${credentials-iot:ThingName}';
/** Seconds the credential provider's temporary credentials last (the role's MaxSessionDuration is 1 h). */
const CREDENTIAL_DURATION_SECONDS = 3600;

/**
 * What one Raspberry Pi may do, and nothing more, written with thing-name policy variables so
 * that one policy serves the whole fleet while each device is fenced into its own names:
 *
 * - MQTT: connect only as client id = its thing name, and only with a certificate that thing is
 *   attached to; publish, subscribe and receive only its own topics (shared deviceTopicGrants):
 *   under `{prefix}/{its thing name}/`, its own `config` named shadow and jobs, and
 *   CreateCertificateFromCsr for rotating its certificate.
 * - S3: temporary credentials from the IoT credential provider (mutual TLS, role alias), whose
 *   role may only PUT objects under `photos/{its thing name}/` and `logs/{its thing name}/` —
 *   devices never hold AWS keys.
 *
 * Attach `policyName` to each device certificate (with the thing attached to it too).
 */
export class DeviceIdentity extends Construct {
  /** The IoT policy to attach to every device certificate. */
  readonly policyName: string;
  /** The role alias devices ask the credential provider for (`/role-aliases/{alias}/credentials`). */
  readonly roleAliasName: string;
  readonly roleAliasArn: string;
  /** The role behind the alias: s3:PutObject on `photos/` and `logs/${credentials-iot:ThingName}/*` only. */
  readonly photoUploadRole: Role;

  constructor(scope: Construct, id: string, props: DeviceIdentityProps) {
    super(scope, id);
    const problem = topicPrefixProblem(props.topicPrefix);
    if (problem) throw new Error(`DeviceIdentity: topicPrefix "${props.topicPrefix}" ${problem}`);

    this.photoUploadRole = new Role(this, 'PhotoUploadRole', {
      description: 'coffee-iot devices, through the IoT credential provider: upload own photos and logs only',
      assumedBy: new ServicePrincipal('credentials.iot.amazonaws.com'),
      maxSessionDuration: Duration.seconds(CREDENTIAL_DURATION_SECONDS),
      inlinePolicies: { PhotoUpload: photoUploadPolicy(props.photoBucket) },
    });

    const roleAlias = new CfnRoleAlias(this, 'RoleAlias', {
      roleArn: this.photoUploadRole.roleArn,
      credentialDurationSeconds: CREDENTIAL_DURATION_SECONDS,
    });
    this.roleAliasName = roleAlias.ref;
    this.roleAliasArn = roleAlias.attrRoleAliasArn;

    const policy = new CfnPolicy(this, 'Policy', {
      policyDocument: devicePolicy(this, props.topicPrefix, this.roleAliasArn),
    });
    this.policyName = policy.ref;
  }
}

function photoUploadPolicy(bucket: IBucket): PolicyDocument {
  const statements = [
    new PolicyStatement({
      sid: 'PutOwnPhotos',
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`${PHOTO_KEY_PREFIX}/${CREDENTIALS_THING}/*`)],
    }),
    new PolicyStatement({
      // The `upload-logs` job: the agent's last log lines, under the thing's own prefix only.
      sid: 'PutOwnLogs',
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`${logKeyPrefix(CREDENTIALS_THING)}*`)],
    }),
  ];
  if (bucket.encryptionKey) {
    // SSE-KMS: a PUT asks KMS for a data key under the bucket's key (single-part uploads only).
    statements.push(
      new PolicyStatement({
        sid: 'EncryptPhotos',
        actions: ['kms:GenerateDataKey'],
        resources: [bucket.encryptionKey.keyArn],
      }),
    );
  }
  return new PolicyDocument({ statements });
}

function devicePolicy(scope: Construct, prefix: string, roleAliasArn: string): PolicyDocument {
  const stack = Stack.of(scope);
  const iotArn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'iot', resource, resourceName });
  // The same grants the local broker enforces (shared/src/device-topics.ts).
  const grants = deviceTopicGrants(prefix, THING);
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'ConnectAsOwnThing',
        actions: ['iot:Connect'],
        resources: [iotArn('client', THING)],
        // Only a certificate the thing is attached to: a stolen client id is not enough.
        conditions: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      }),
      new PolicyStatement({
        sid: 'PublishOwnTopics',
        actions: ['iot:Publish'],
        resources: grants.publish.map((topic) => iotArn('topic', topic)),
      }),
      new PolicyStatement({
        sid: 'SubscribeOwnTopics',
        actions: ['iot:Subscribe'],
        resources: grants.subscribe.map((filter) => iotArn('topicfilter', filter)),
      }),
      new PolicyStatement({
        sid: 'ReceiveOwnTopics',
        actions: ['iot:Receive'],
        resources: grants.receive.map((topic) => iotArn('topic', topic)),
      }),
      new PolicyStatement({
        sid: 'PhotoUploadCredentials',
        actions: ['iot:AssumeRoleWithCertificate'],
        resources: [roleAliasArn],
      }),
    ],
  });
}
