import {
  type AthenaExportOptions,
  athenaExportKeys,
  buildAthenaExportQueryTemplates,
} from './athena-export.js';
import { dayTokenJsonata } from './day-tokens.js';
import {
  type AslState,
  ATHENA_THROTTLED,
  type AthenaTarget,
  athenaArguments,
  catchTo,
  failWithCaughtError,
  IDEMPOTENT_CALL_FAILED,
  jsonata,
  READ_ONLY_QUERY_FAILED,
  RESOURCES,
} from './export-asl-parts.js';
import { joinBranches } from './export-join-branches.js';
import { INPUT_COUNT_COLUMNS, leftOutColumn } from './export-sql.js';
import { PHOTO_URL_PROBLEM_CODES } from './photo-url-rule.js';

/**
 * The daily export as an AWS Step Functions state machine (Amazon States Language, JSONata):
 *
 *   ChooseDay → CheckDay → PlanQueries → [SnapshotDevices] → FindInput → ReadInputCounts → AnythingToExport?
 *     ├─ no rows  → NothingToExport (Succeed: "nothing to export for DAY")
 *     └─ rows     → ListEarlierExport ⇄ DeleteEarlierExport → Join (Parallel) → Exported (Succeed)
 *   Join writes four files at once: UNLOAD telemetry and coffees as Parquet; SELECT each as CSV
 *   and copy Athena's result file into exports/{day}/.
 *
 * Input: `{}` (the daily schedule) exports the UTC day before the execution started;
 * `{"date": "yyyy-mm-dd"}` exports that day. Infra deploys it (issue 7) and gives its role
 * athena:StartQueryExecution/GetQueryExecution/StopQueryExecution/GetQueryResults, glue:GetDatabase/
 * GetTable/GetPartitions on the lake tables, s3:GetObject/ListBucket on the lake,
 * s3:ListBucket/PutObject/DeleteObject/GetObject under exports/, and the query results location,
 * and lambda:InvokeFunction on the devices snapshot function when there is one.
 */
export interface ExportStateMachineOptions extends AthenaExportOptions {
  readonly athenaWorkGroup: string;
  /** s3://… for query results (the counts, the CSVs before their copy, UNLOAD manifests). Default: the work group's. */
  readonly queryResultsLocation?: string;
  /** Seconds before the whole execution times out; default 2 hours. */
  readonly timeoutSeconds?: number;
  /**
   * The function that writes the device registry to devices/snapshot.json (handlers/
   * devices-snapshot.ts): invoked once the day is known to be valid, before the first query, so
   * the export joins today's registry. Without it the devices table is read as it is.
   */
  readonly devicesSnapshotFunction?: string;
}

export interface AslDefinition {
  readonly Comment: string;
  readonly QueryLanguage: 'JSONata';
  readonly StartAt: string;
  readonly TimeoutSeconds: number;
  readonly States: Record<string, AslState>;
}

const DAY_MS = 86_400_000;

/**
 * True when $day is a real calendar day written yyyy-mm-dd. Checked with arithmetic, not by a
 * round trip through $toMillis: JSONata's dates roll 2026-02-30 over to March (the Parquet would
 * land in another day's folder than the CSV) and throw on 2026-13-45 inside a Pass state, and
 * neither may happen before the InvalidExportDate Fail. `and` stops at the first false, so the
 * arithmetic only sees ten characters of digits and dashes.
 */
export const REAL_CALENDAR_DAY = `$type($day) = 'string' and $contains($day, /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/) and (
  $y := $number($substring($day, 0, 4));
  $m := $number($substring($day, 5, 2));
  $d := $number($substring($day, 8, 2));
  $leap := ($y % 4 = 0 and $y % 100 != 0) or $y % 400 = 0;
  $m >= 1 and $m <= 12 and $d >= 1 and $d <= [31, $leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][$m - 1]
)`;

/**
 * Invokes the devices snapshot function. A paused Aurora takes seconds to resume (the function
 * fails meanwhile): failures are retried for about four minutes; a registry the snapshot refuses
 * or a misconfigured function is not retried, it would fail the same way.
 */
function snapshotDevicesState(functionName: string, next: string): AslState {
  return {
    Type: 'Task',
    Comment: "Writes the device registry (Aurora) to the lake's devices table, which the queries join.",
    Resource: RESOURCES.lambdaInvoke,
    Arguments: { FunctionName: functionName, Payload: {} },
    Retry: [
      { ErrorEquals: ['DuplicateThingNameError', 'EnvironmentError'], MaxAttempts: 0 },
      {
        ErrorEquals: [
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'Lambda.SdkClientException',
        ],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      },
      { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 15, MaxAttempts: 4, BackoffRate: 2 },
    ],
    Catch: catchTo('ExportFailed'),
    Next: next,
  };
}

export function buildExportStateMachineDefinition(options: ExportStateMachineOptions): AslDefinition {
  const { queries: templates, tokens } = buildAthenaExportQueryTemplates(options);
  // The keys with the day spliced in as JSONata: 'exports/' & $day & '/telemetry.csv'.
  const keys = athenaExportKeys("' & $day & '");
  const s3Key = (key: string) => jsonata(`'${key}'`);

  const target: AthenaTarget = {
    workGroup: options.athenaWorkGroup,
    database: options.database,
    queryResultsLocation: options.queryResultsLocation,
  };

  const counts = INPUT_COUNT_COLUMNS.map(
    (column, index) => `'${column}': $number($states.result.ResultSet.Rows[1].Data[${index}].VarCharValue)`,
  );
  const rendered = Object.keys(templates)
    .map((name) => `'${name}': $render($templates.${name})`)
    .join(', ');
  const leftOutByReason = PHOTO_URL_PROBLEM_CODES.map(
    (problem) => `'${problem}': $counts.${leftOutColumn(problem)}`,
  );

  const states: Record<string, AslState> = {
    ChooseDay: {
      Type: 'Pass',
      Comment: 'The day to export: the input\'s "date", else the UTC day before the execution started.',
      Assign: {
        day: jsonata(
          `$exists($states.input.date) ? $states.input.date : $fromMillis($toMillis($states.context.Execution.StartTime) - ${DAY_MS}, '[Y0001]-[M01]-[D01]')`,
        ),
        // Plain strings (not JSONata): the SQL with the day as {{day±n…}} tokens.
        templates,
      },
      Next: 'CheckDay',
    },
    CheckDay: {
      Type: 'Choice',
      Choices: [
        {
          Condition: jsonata(REAL_CALENDAR_DAY),
          Next: 'PlanQueries',
        },
      ],
      Default: 'InvalidDate',
    },
    PlanQueries: {
      Type: 'Pass',
      Comment:
        "Fills the day into the SQL templates: every {{day±n…}} token becomes that day's date or part.",
      Assign: {
        queries: jsonata(
          `( $dayMs := $toMillis($day & 'T00:00:00.000Z'); $render := function($sql) { ${dayTokenJsonata(tokens)} }; { ${rendered} } )`,
        ),
      },
      Next: options.devicesSnapshotFunction === undefined ? 'FindInput' : 'SnapshotDevices',
    },
    ...(options.devicesSnapshotFunction === undefined
      ? {}
      : { SnapshotDevices: snapshotDevicesState(options.devicesSnapshotFunction, 'FindInput') }),
    FindInput: {
      Type: 'Task',
      Comment: "Counts the day's readings and coffees (and the coffees the photo URL rule leaves out).",
      Resource: RESOURCES.athenaQuery,
      Arguments: athenaArguments(target, 'count'),
      Retry: [ATHENA_THROTTLED, READ_ONLY_QUERY_FAILED],
      Catch: catchTo('ExportFailed'),
      Next: 'ReadInputCounts',
    },
    ReadInputCounts: {
      Type: 'Task',
      Resource: RESOURCES.athenaResults,
      // Row 0 is the header, row 1 the counts (all text in Athena's result set).
      Arguments: {
        QueryExecutionId: jsonata('$states.input.QueryExecution.QueryExecutionId'),
        MaxResults: 2,
      },
      Assign: { counts: jsonata(`{ ${counts.join(', ')} }`) },
      Retry: [ATHENA_THROTTLED, IDEMPOTENT_CALL_FAILED],
      Catch: catchTo('ExportFailed'),
      Next: 'AnythingToExport',
    },
    AnythingToExport: {
      Type: 'Choice',
      Choices: [
        { Condition: jsonata('$counts.telemetry_rows + $counts.coffee_rows = 0'), Next: 'NothingToExport' },
      ],
      Default: 'ListEarlierExport',
    },
    NothingToExport: {
      Type: 'Succeed',
      Output: {
        status: 'nothing-to-export',
        day: jsonata('$day'),
        message: jsonata("'nothing to export for ' & $day"),
      },
    },
    ListEarlierExport: {
      Type: 'Task',
      Comment: 'UNLOAD refuses a location that holds files: an earlier export of the day is removed first.',
      Resource: RESOURCES.s3List,
      Arguments: { Bucket: options.outputBucket, Prefix: s3Key(keys.prefix) },
      Retry: [IDEMPOTENT_CALL_FAILED],
      Catch: catchTo('ExportFailed'),
      Next: 'EarlierExportFound',
    },
    EarlierExportFound: {
      Type: 'Choice',
      Choices: [{ Condition: jsonata('$states.input.KeyCount > 0'), Next: 'DeleteEarlierExport' }],
      Default: 'Join',
    },
    DeleteEarlierExport: {
      Type: 'Task',
      Resource: RESOURCES.s3Delete,
      Arguments: {
        Bucket: options.outputBucket,
        // $append([], …) keeps a single key an array (JSONata unwraps one-element results).
        Delete: { Objects: jsonata("$append([], $states.input.Contents.{ 'Key': Key })"), Quiet: true },
      },
      Retry: [IDEMPOTENT_CALL_FAILED],
      Catch: catchTo('ExportFailed'),
      Next: 'EarlierExportDeleted',
    },
    EarlierExportDeleted: {
      Type: 'Choice',
      // Listed again until empty: a listing returns at most 1,000 keys.
      Choices: [{ Condition: jsonata('$count($states.input.Errors) > 0'), Next: 'EarlierExportNotDeleted' }],
      Default: 'ListEarlierExport',
    },
    Join: {
      Type: 'Parallel',
      Comment: 'The day joined with the device registry, written as Parquet and CSV at once.',
      Branches: joinBranches(target, options.outputBucket, {
        telemetry: s3Key(keys.telemetryCsv),
        coffees: s3Key(keys.coffeesCsv),
      }),
      Catch: catchTo('ExportFailed'),
      Next: 'Exported',
    },
    Exported: {
      Type: 'Succeed',
      Output: {
        status: 'exported',
        day: jsonata('$day'),
        location: jsonata(`'s3://${options.outputBucket}/${keys.prefix}'`),
        rows: {
          telemetry: jsonata('$counts.telemetry_rows'),
          coffees: jsonata('$counts.coffee_rows - $counts.coffees_left_out'),
        },
        unregisteredDevices: jsonata('$counts.unregistered_devices'),
        coffeesLeftOut: {
          total: jsonata('$counts.coffees_left_out'),
          byReason: jsonata(`{ ${leftOutByReason.join(', ')} }`),
        },
      },
    },
    InvalidDate: {
      Type: 'Fail',
      Error: 'InvalidExportDate',
      Cause: jsonata("'the date to export must be a real calendar day, yyyy-mm-dd, got ' & $string($day)"),
    },
    EarlierExportNotDeleted: {
      Type: 'Fail',
      Error: 'EarlierExportNotDeleted',
      Cause: jsonata(
        `'S3 did not delete ' & $string($count($states.input.Errors)) & ' object(s) under ${keys.prefix}: ' & $string($states.input.Errors[0])`,
      ),
    },
    ExportFailed: failWithCaughtError(),
  };

  return {
    Comment:
      "coffee-iot daily export: the day's telemetry and coffees joined with the device registry, as Parquet and CSV under exports/{day}/",
    QueryLanguage: 'JSONata',
    StartAt: 'ChooseDay',
    TimeoutSeconds: options.timeoutSeconds ?? 7200,
    States: states,
  };
}

export type { AslState } from './export-asl-parts.js';
