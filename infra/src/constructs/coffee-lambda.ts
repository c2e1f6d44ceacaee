import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, type FunctionProps, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root (this file is infra/src/constructs/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The runtime of every coffee-iot Lambda: Node.js 24 (nodejs22.x is deprecated on 2027-04-30).
 * Moving it means moving ESBUILD_TARGET and cloud/scripts/bundle-lambdas.mjs with it.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
/** esbuild's target for LAMBDA_RUNTIME: the syntax that Node.js runs as is. */
export const ESBUILD_TARGET = 'node24';

/** A handler module in cloud/src/handlers/, by file name without extension. */
export type HandlerName =
  | 'photo'
  | 'migrate-schema'
  | 'firehose-transform'
  | 'csv-import'
  | 'dashboard-api'
  | 'devices-snapshot'
  | 'pre-provisioning-hook'
  | 'cert-rotation';

export interface CoffeeLambdaProps {
  /** cloud/src/handlers/{handler}.ts, exporting `handler`. */
  readonly handler: HandlerName;
  readonly description: string;
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** VPC placement, reserved concurrency, on-failure destinations… passed through. */
  readonly functionProps?: Partial<Omit<FunctionProps, 'code' | 'handler' | 'runtime'>>;
  /** Days the function's logs are kept (default one month). */
  readonly logRetention?: RetentionDays;
}

/**
 * Every coffee-iot Lambda the same way: nodejs24.x on arm64 (cheaper per GB-s than x86), bundled
 * by esbuild from the TypeScript sources exactly as cloud/scripts/bundle-lambdas.mjs does (ESM,
 * node24, the `coffee-iot-source` condition, no SQLite, the runtime's AWS SDK, names kept, no
 * source map), JSON logs in a
 * log group of its own with a retention, and an environment each handler checks at start.
 */
export class CoffeeLambda extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: CoffeeLambdaProps) {
    super(scope, id);
    // Named by CloudFormation (stacks coexist) and deleted with the stack: the logs expire anyway.
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}cloud/src/handlers/${props.handler}.ts`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      // No --enable-source-maps: Node parses a handler's whole map at init, about 0.3 s of CPU on
      // every cold start for the photo Lambda (bench/README.md). keepNames keeps stack traces
      // readable by function name instead.
      environment: { ...props.environment },
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      bundling: {
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        minify: true,
        sourceMap: false,
        keepNames: true,
        mainFields: ['module', 'main'],
        // The runtime's SDK v3; SQLite is the local stack's database, never a Lambda's.
        externalModules: ['@aws-sdk/*', '@smithy/*', 'better-sqlite3'],
        esbuildArgs: { '--conditions': 'coffee-iot-source' },
        // CommonJS dependencies bundled into ESM (mysql2, pino) call require() for built-ins.
        banner:
          "import { createRequire as __coffeeIotCreateRequire } from 'node:module';const require = __coffeeIotCreateRequire(import.meta.url);",
      },
      ...props.functionProps,
    });
  }
}
