// `cdk synth` / `cdk deploy` entry point (infra/cdk.json). Runs offline: nothing here calls AWS.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CoffeeIotStack } from './coffee-iot-stack.js';

const app = new App();
new CoffeeIotStack(app, 'CoffeeIot', {
  description: 'coffee-iot: IoT Core ingest, lake, photo pipeline, Aurora, exports and dashboard',
  // The CLI sets these from your credentials; without them the stack is environment-agnostic.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// AWS Solutions checks on every synth: an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
