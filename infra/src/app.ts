// `cdk synth` / `cdk deploy` entry point (infra/cdk.json). Runs offline: nothing here calls AWS.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CoffeeIotStack } from './coffee-iot-stack.js';
import { readStackName, STACK_NAME_KEY } from './stack-names.js';

const app = new App();
// CoffeeIot unless -c coffee-iot:stackName=…: a second stack beside the first (docs/deploy.md).
new CoffeeIotStack(app, readStackName(app.node.tryGetContext(STACK_NAME_KEY)), {
  description: 'coffee-iot: IoT Core ingest, lake, photo pipeline, Aurora, exports and dashboard',
  // The CLI sets these from your credentials; without them the stack is environment-agnostic.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// AWS Solutions checks on every synth: an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
