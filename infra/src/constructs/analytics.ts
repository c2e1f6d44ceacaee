import {
  buildExportStateMachineDefinition,
  DEVICES_SNAPSHOT_KEY,
  DEVICES_TABLE_NAME,
  devicesGlueTableInput,
} from '@coffee-iot/cloud/lake';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { CfnTable } from 'aws-cdk-lib/aws-glue';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, LogLevel, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IDependable } from 'constructs';
import { CoffeeLambda } from './coffee-lambda.js';
import type { PhotoDatabaseAccess } from './database-access.js';

export interface AnalyticsProps {
  /** The lake: read by the queries, exports/ and the query results written into it. */
  readonly lakeBucket: IBucket;
  readonly glueDatabaseName: string;
  /** How the devices snapshot function reads the registry (Database.lambdaAccess). */
  readonly database: PhotoDatabaseAccess;
  /**
   * What must exist before a table can be added to the Glue database: the database, or the
   * Lake's tables (which depend on it). The devices table is created after it.
   */
  readonly glueDatabaseReady: IDependable;
  /** The raw lake tables the export reads (telemetry_all, coffees_all); it deduplicates itself. */
  readonly telemetryTable: string;
  readonly coffeesTable: string;
  /**
   * The name of the device registry snapshot table this construct creates over devices/ in the
   * lake, which the export joins (default 'devices').
   */
  readonly devicesTable?: string;
  /** The work group the export's queries run in. Its result location, if enforced, must be queryResultsPrefix. */
  readonly athenaWorkGroupName: string;
  /** The photo bucket, for the exported photo_url (s3://{photoBucketName}/{photo_key}). */
  readonly photoBucketName: string;
  /** Where in the lake bucket the export's queries write their results (default 'athena-results/'). */
  readonly queryResultsPrefix?: string;
  /** An EventBridge schedule expression (UTC). Default 'cron(30 1 * * ? *)': 01:30 UTC, for the day before. */
  readonly schedule?: string;
}

/** The props do not describe an export that can be deployed; lists every problem. */
export class AnalyticsPropsError extends Error {
  override readonly name = 'AnalyticsPropsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid Analytics props: ${problems.join('; ')}`);
  }
}

export const DEFAULT_EXPORT_SCHEDULE = 'cron(30 1 * * ? *)';
const EXPORTS_PREFIX = 'exports/';

// The bucket names are usually tokens (generated names), which the definition builder rightly
// refuses as bucket names: it is built with these stand-ins, and CloudFormation's
// DefinitionSubstitutions puts the real names in.
const LAKE_BUCKET_STAND_IN = 'coffee-iot-lake-bucket-stand-in';
const PHOTO_BUCKET_STAND_IN = 'coffee-iot-photo-bucket-stand-in';
/** `${name}`: a placeholder CloudFormation fills from DefinitionSubstitutions. */
const substitution = (name: string) => `\${${name}}`;

/** devicesGlueTableInput for the lake bucket, whose name is a token the builder would refuse. */
function devicesTableInput(name: string, bucketName: string): CfnTable.TableInputProperty {
  const input = devicesGlueTableInput({ bucket: LAKE_BUCKET_STAND_IN, name });
  const text = JSON.stringify(input).split(`s3://${LAKE_BUCKET_STAND_IN}/`).join(`s3://${bucketName}/`);
  if (text.includes(LAKE_BUCKET_STAND_IN)) {
    throw new Error('Analytics: the devices table names the bucket outside s3:// URLs');
  }
  return JSON.parse(text) as CfnTable.TableInputProperty;
}

function checkProps(props: AnalyticsProps): {
  schedule: string;
  resultsPrefix: string;
  devicesTable: string;
} {
  const schedule = props.schedule ?? DEFAULT_EXPORT_SCHEDULE;
  const resultsPrefix = props.queryResultsPrefix ?? 'athena-results/';
  const problems: string[] = [];
  if (!/^(cron|rate)\(.+\)$/.test(schedule)) {
    problems.push(`schedule must be an EventBridge expression, cron(…) or rate(…), got "${schedule}"`);
  }
  if (
    !/^[a-zA-Z0-9!_.*'()-]+(\/[a-zA-Z0-9!_.*'()-]+)*\/$/.test(resultsPrefix) ||
    resultsPrefix.startsWith(EXPORTS_PREFIX)
  ) {
    problems.push(
      `queryResultsPrefix must be a key prefix ending in "/" and outside exports/, got "${resultsPrefix}"`,
    );
  }
  for (const [name, value] of Object.entries({
    glueDatabaseName: props.glueDatabaseName,
    telemetryTable: props.telemetryTable,
    coffeesTable: props.coffeesTable,
    athenaWorkGroupName: props.athenaWorkGroupName,
  })) {
    if (value.trim() === '') problems.push(`${name} must not be empty`);
  }
  if (problems.length > 0) throw new AnalyticsPropsError(problems);
  return { schedule, resultsPrefix, devicesTable: props.devicesTable ?? DEVICES_TABLE_NAME };
}

/**
 * The daily export: a Step Functions state machine (cloud/src/lake/export/export-state-machine.ts)
 * that runs Athena over the lake's Glue tables and writes the day's telemetry and coffees, joined
 * with the device registry, as Parquet and CSV under exports/{day}/ in the lake; started by an
 * EventBridge schedule with `{}` (the day before). Its role holds exactly the rights the definition
 * needs, each action named and scoped to the work group, the tables and the prefixes it touches.
 *
 * The registry is in Aurora, which Athena cannot read: the construct also creates the `devices`
 * Glue table over devices/ in the lake and the DevicesSnapshot function that writes
 * devices/snapshot.json from the registry, which the state machine invokes before its first query.
 */
export class Analytics extends Construct {
  readonly stateMachine: StateMachine;
  /** The device registry snapshot's Glue table (devices/ in the lake), joined by the export. */
  readonly devicesTable: CfnTable;
  /** Writes the registry to devices/snapshot.json: the state machine's first task. */
  readonly devicesSnapshot: CoffeeLambda;
  readonly schedule: Rule;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const { schedule, resultsPrefix, devicesTable } = checkProps(props);
    const stack = Stack.of(this);
    const { lakeBucket } = props;

    // Athena cannot read the registry in Aurora: the export joins a snapshot of it in the lake.
    this.devicesTable = new CfnTable(this, 'DevicesTable', {
      catalogId: stack.account,
      databaseName: props.glueDatabaseName,
      tableInput: devicesTableInput(devicesTable, lakeBucket.bucketName),
    });
    this.devicesTable.node.addDependency(props.glueDatabaseReady);
    this.devicesSnapshot = new CoffeeLambda(this, 'DevicesSnapshot', {
      handler: 'devices-snapshot',
      description:
        'coffee-iot: writes the device registry to the lake (devices/snapshot.json) for the daily export',
      environment: { ...props.database.environment, LAKE_BUCKET: lakeBucket.bucketName },
      // A paused Aurora resumes within the state machine's retries, not inside one invocation.
      timeout: Duration.minutes(1),
      functionProps: { ...props.database.placement },
    });
    props.database.grantConnect(this.devicesSnapshot.function);
    // The one object it writes, and nothing else in the lake.
    this.devicesSnapshot.function.addToRolePolicy(
      new PolicyStatement({
        sid: 'WriteTheDevicesSnapshot',
        actions: ['s3:PutObject'],
        resources: [lakeBucket.arnForObjects(DEVICES_SNAPSHOT_KEY)],
      }),
    );
    lakeBucket.encryptionKey?.grantEncrypt(this.devicesSnapshot.function);

    const definition = JSON.stringify(
      buildExportStateMachineDefinition({
        athenaWorkGroup: props.athenaWorkGroupName,
        database: props.glueDatabaseName,
        tables: { telemetry: props.telemetryTable, coffees: props.coffeesTable, devices: devicesTable },
        outputBucket: LAKE_BUCKET_STAND_IN,
        photoBucket: PHOTO_BUCKET_STAND_IN,
        queryResultsLocation: `s3://${LAKE_BUCKET_STAND_IN}/${resultsPrefix}`,
        devicesSnapshotFunction: substitution('DevicesSnapshotFunction'),
      }),
    )
      .replaceAll(LAKE_BUCKET_STAND_IN, substitution('LakeBucket'))
      .replaceAll(PHOTO_BUCKET_STAND_IN, substitution('PhotoBucket'));

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'DailyExport', {
      comment: 'coffee-iot daily export: Athena over the lake, written to exports/{day}/',
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: {
        LakeBucket: lakeBucket.bucketName,
        PhotoBucket: props.photoBucketName,
        DevicesSnapshotFunction: this.devicesSnapshot.function.functionArn,
      },
      // Errors only, without execution data: the input and results hold device ids and counts, and
      // ERROR is enough to see which state failed and why.
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: true,
    });

    const arn = (service: string, resource: string) => stack.formatArn({ service, resource });
    const machine = this.stateMachine;
    machine.addToRolePolicy(
      new PolicyStatement({
        sid: 'AthenaQueriesInTheWorkGroup',
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:StopQueryExecution',
          'athena:GetQueryResults',
        ],
        resources: [arn('athena', `workgroup/${props.athenaWorkGroupName}`)],
      }),
    );
    // Exactly the function's ARN (grantInvoke would add its versions, a wildcard).
    machine.addToRolePolicy(
      new PolicyStatement({
        sid: 'InvokeTheDevicesSnapshot',
        actions: ['lambda:InvokeFunction'],
        resources: [this.devicesSnapshot.function.functionArn],
      }),
    );
    machine.addToRolePolicy(
      new PolicyStatement({
        sid: 'GlueCatalogOfTheLakeTables',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          arn('glue', 'catalog'),
          arn('glue', `database/${props.glueDatabaseName}`),
          ...[props.telemetryTable, props.coffeesTable, devicesTable].map((table) =>
            arn('glue', `table/${props.glueDatabaseName}/${table}`),
          ),
        ],
      }),
    );
    // Athena reads and writes S3 with the caller's rights: the lake for the tables, the results
    // prefix for every query's output, exports/ for UNLOAD; the state machine itself lists and
    // deletes an earlier export and copies the CSV results into exports/.
    machine.addToRolePolicy(
      new PolicyStatement({
        sid: 'LakeBucket',
        actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
        resources: [lakeBucket.bucketArn],
      }),
    );
    machine.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadTheLake',
        actions: ['s3:GetObject'],
        resources: [lakeBucket.arnForObjects('*')],
      }),
    );
    machine.addToRolePolicy(
      new PolicyStatement({
        sid: 'WriteExportsAndQueryResults',
        actions: [
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: [
          lakeBucket.arnForObjects(`${EXPORTS_PREFIX}*`),
          lakeBucket.arnForObjects(`${resultsPrefix}*`),
        ],
      }),
    );
    lakeBucket.encryptionKey?.grantEncryptDecrypt(machine);

    this.schedule = new Rule(this, 'Daily', {
      description: 'coffee-iot: exports the day before, every day',
      schedule: Schedule.expression(schedule),
      targets: [
        new SfnStateMachine(this.stateMachine, { input: RuleTargetInput.fromObject({}), retryAttempts: 3 }),
      ],
    });
  }
}
