// Fixed physical names in synthesized CloudFormation: what keeps two stacks out of one account and region.
import type { Template } from 'aws-cdk-lib/assertions';

/**
 * The properties that give a resource a fixed physical name, by type: a fixed name allows one
 * deployment per account and region, and blocks the next deploy if the resource was retained.
 */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::Kinesis::Stream': 'Name',
  'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
  'AWS::IoT::TopicRule': 'RuleName',
  'AWS::IoT::Policy': 'PolicyName',
  'AWS::IoT::RoleAlias': 'RoleAlias',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
};

/** `logicalId.Property` of every resource under `prefix` (its construct id) whose physical name is fixed. */
export function fixedPhysicalNames(template: Template, prefix: string): string[] {
  return Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties?: object }>)
    .filter(([id, resource]) => id.startsWith(prefix) && NAME_PROPERTIES[resource.Type])
    .flatMap(([id, resource]) => {
      const property = NAME_PROPERTIES[resource.Type] as string;
      return resource.Properties && property in resource.Properties ? [`${id}.${property}`] : [];
    });
}
