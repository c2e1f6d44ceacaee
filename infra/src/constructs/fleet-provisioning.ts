import { claimTopicGrants } from '@coffee-iot/shared';
import { Duration, Stack } from 'aws-cdk-lib';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPolicy, CfnProvisioningTemplate } from 'aws-cdk-lib/aws-iot';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  PROVISIONED_THING_PREFIX,
  SERIAL_NUMBER_PARAMETER,
} from '../../../cloud/src/fleet-provisioning/pre-provisioning-decision.js';
import { CoffeeLambda } from './coffee-lambda.js';
import type { PhotoDatabaseAccess } from './database-access.js';

export interface FleetProvisioningProps {
  /** The template's name: devices publish to `$aws/provisioning-templates/{name}/provision/json`. */
  readonly templateName: string;
  /** The IoT policy every device certificate gets (DeviceIdentity.policyName). */
  readonly devicePolicyName: string;
  /** The registry database holding the serial allow-list (Database.lambdaAccess). */
  readonly database: PhotoDatabaseAccess;
}

/** IoT Core waits this long for a pre-provisioning hook, then refuses the device. */
export const PRE_PROVISIONING_HOOK_LIMIT = Duration.seconds(5);
/** The hook's own timeout: under IoT Core's limit, so a slow run ends as a logged timeout. */
export const PRE_PROVISIONING_HOOK_TIMEOUT = Duration.seconds(4);
/** The payload version of the pre-provisioning hook event (the only one IoT Core has). */
const HOOK_PAYLOAD_VERSION = '2020-04-01';

/**
 * Fleet provisioning by claim (docs/fleet-provisioning.md): the same SD-card image, with one claim
 * certificate, on many Pis; each asks CreateCertificateFromCsr for its own certificate, then
 * RegisterThing with its serial number. This construct is the cloud half:
 *
 * - the claim policy: connect, then only the two provisioning requests of this template and their
 *   answers (shared claimTopicGrants, as the local broker enforces them);
 * - the provisioning template: thing `coffee-pi-{SerialNumber}`, the new certificate ACTIVE, the
 *   device policy attached to it;
 * - the pre-provisioning hook: allows only an allow-listed, unused serial (registry database);
 * - the provisioning role IoT assumes to do what the template says, and nothing else.
 *
 * No fixed cost: IoT bills the requests and Lambda its invocations, both per device provisioned.
 */
export class FleetProvisioning extends Construct {
  readonly templateName: string;
  /** The IoT policy to attach to the claim certificate. */
  readonly claimPolicyName: string;
  readonly hook: IFunction;
  readonly provisioningRole: Role;
  readonly template: CfnProvisioningTemplate;

  constructor(scope: Construct, id: string, props: FleetProvisioningProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const iotArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'iot', resource, resourceName });
    // Checks the name: it goes into the claim policy's topics.
    const grants = claimTopicGrants(props.templateName);
    this.templateName = props.templateName;

    const claimPolicy = new CfnPolicy(this, 'ClaimPolicy', {
      policyDocument: new PolicyDocument({
        statements: [
          new PolicyStatement({
            // Any client id: a Pi on first boot has no thing name yet.
            sid: 'ConnectToProvision',
            actions: ['iot:Connect'],
            resources: [iotArn('client', '*')],
          }),
          new PolicyStatement({
            // Never as a provisioned thing: IoT Core would drop that Pi's own connection
            // (claimMayConnectAs in shared; the local broker refuses the same).
            sid: 'NeverAsAProvisionedThing',
            effect: Effect.DENY,
            actions: ['iot:Connect'],
            resources: [iotArn('client', `${PROVISIONED_THING_PREFIX}*`)],
          }),
          new PolicyStatement({
            sid: 'ProvisioningRequests',
            actions: ['iot:Publish'],
            resources: grants.publish.map((topic) => iotArn('topic', topic)),
          }),
          new PolicyStatement({
            sid: 'ProvisioningAnswers',
            actions: ['iot:Subscribe'],
            resources: grants.subscribe.map((filter) => iotArn('topicfilter', filter)),
          }),
          new PolicyStatement({
            sid: 'ReceiveProvisioningAnswers',
            actions: ['iot:Receive'],
            resources: grants.receive.map((topic) => iotArn('topic', topic)),
          }),
        ],
      }),
    });
    this.claimPolicyName = claimPolicy.ref;

    const hook = new CoffeeLambda(this, 'PreProvisioningHook', {
      handler: 'pre-provisioning-hook',
      description: 'coffee-iot fleet provisioning: allow only allow-listed, unused serial numbers',
      environment: { ...props.database.environment },
      memorySize: 256,
      timeout: PRE_PROVISIONING_HOOK_TIMEOUT,
      functionProps: { ...props.database.placement },
    });
    props.database.grantConnect(hook.function);
    this.hook = hook.function;
    const templateArn = iotArn('provisioningtemplate', props.templateName);
    hook.function.addPermission('InvokedByProvisioningTemplate', {
      principal: new ServicePrincipal('iot.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceArn: templateArn,
      sourceAccount: stack.account,
    });

    const thingArn = iotArn('thing', `${PROVISIONED_THING_PREFIX}*`);
    const certificateArn = iotArn('cert', '*');
    this.provisioningRole = new Role(this, 'ProvisioningRole', {
      description: `coffee-iot fleet provisioning: create ${PROVISIONED_THING_PREFIX}* things and attach their certificate and the device policy`,
      assumedBy: new ServicePrincipal('iot.amazonaws.com'),
      // Written out rather than AWSIoTThingsRegistration, which may also create and detach
      // policies and certificates of any name: these are the calls this template makes.
      inlinePolicies: {
        Provisioning: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'RegisterProvisionedThing',
              actions: ['iot:CreateThing', 'iot:DescribeThing', 'iot:UpdateThing'],
              resources: [thingArn],
            }),
            new PolicyStatement({
              sid: 'ActivateCertificate',
              actions: ['iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:AttachPolicy'],
              resources: [certificateArn],
            }),
            new PolicyStatement({
              sid: 'ReadDevicePolicy',
              actions: ['iot:GetPolicy'],
              resources: [iotArn('policy', props.devicePolicyName)],
            }),
            new PolicyStatement({
              // AttachThingPrincipal has no resource-level permissions: IAM only accepts "*".
              sid: 'AttachCertificateToThing',
              actions: ['iot:AttachThingPrincipal'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });

    this.template = new CfnProvisioningTemplate(this, 'Template', {
      templateName: props.templateName,
      description: `coffee-iot: a Pi with the claim certificate becomes ${PROVISIONED_THING_PREFIX}{SerialNumber} (allow-listed serials only)`,
      enabled: true,
      provisioningRoleArn: this.provisioningRole.roleArn,
      templateBody: stack.toJsonString(provisioningTemplateBody(props.devicePolicyName)),
      preProvisioningHook: { targetArn: hook.function.functionArn, payloadVersion: HOOK_PAYLOAD_VERSION },
    });
    // IoT checks it may invoke the hook when the template is created.
    this.template.node.addDependency(
      hook.function.permissionsNode.findChild('InvokedByProvisioningTemplate'),
    );
  }
}

/**
 * The template body (AWS IoT Developer Guide, "Provisioning templates"): the thing named from
 * the serial, the certificate RegisterThing was called for, made ACTIVE, and the device policy.
 */
export function provisioningTemplateBody(devicePolicyName: string): Record<string, unknown> {
  return {
    Parameters: {
      [SERIAL_NUMBER_PARAMETER]: { Type: 'String' },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: {
          ThingName: { 'Fn::Join': ['', [PROVISIONED_THING_PREFIX, { Ref: SERIAL_NUMBER_PARAMETER }]] },
          AttributePayload: { serial: { Ref: SERIAL_NUMBER_PARAMETER } },
        },
        OverrideSettings: { AttributePayload: 'MERGE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
      },
      policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: devicePolicyName } },
    },
  };
}
