import {
  type AslBranch,
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

type Table = 'telemetry' | 'coffees';
const capitalized = (table: Table) => `${table.charAt(0).toUpperCase()}${table.slice(1)}`;

/** UNLOAD the table as Parquet under exports/{day}/{table}/. */
function parquetBranch(target: AthenaTarget, table: Table): AslBranch {
  const unload = `Unload${capitalized(table)}Parquet`;
  const failed = `${capitalized(table)}ParquetFailed`;
  return {
    StartAt: unload,
    States: {
      [unload]: {
        Type: 'Task',
        Resource: RESOURCES.athenaQuery,
        Arguments: athenaArguments(target, `${table}Parquet`),
        Retry: [ATHENA_THROTTLED],
        Catch: catchTo(failed),
        End: true,
      },
      [failed]: failWithCaughtError(),
    },
  };
}

/**
 * SELECT the table (Athena writes the result as one CSV with a header row), then copy that file
 * to exports/{day}/{table}.csv. `csvKey` is a JSONata expression for the key.
 */
function csvBranch(target: AthenaTarget, table: Table, outputBucket: string, csvKey: string): AslBranch {
  const select = `Select${capitalized(table)}Csv`;
  const copy = `Copy${capitalized(table)}Csv`;
  const failed = `${capitalized(table)}CsvFailed`;
  return {
    StartAt: select,
    States: {
      [select]: {
        Type: 'Task',
        Resource: RESOURCES.athenaQuery,
        Arguments: athenaArguments(target, `${table}Csv`),
        Retry: [ATHENA_THROTTLED, READ_ONLY_QUERY_FAILED],
        Catch: catchTo(failed),
        Next: copy,
      },
      [copy]: {
        Type: 'Task',
        Resource: RESOURCES.s3Copy,
        Arguments: {
          Bucket: outputBucket,
          Key: csvKey,
          // "s3://bucket/prefix/{QueryExecutionId}.csv" → "bucket/prefix/{QueryExecutionId}.csv"
          CopySource: jsonata(
            "$substringAfter($states.input.QueryExecution.ResultConfiguration.OutputLocation, 's3://')",
          ),
          ContentType: 'text/csv; charset=utf-8',
          MetadataDirective: 'REPLACE',
        },
        Retry: [IDEMPOTENT_CALL_FAILED],
        Catch: catchTo(failed),
        End: true,
      },
      [failed]: failWithCaughtError(),
    },
  };
}

/**
 * The Join's four branches, run at once. Catches stay inside each branch (a Catch can only go to
 * a state of its own branch): the branch's Fail state fails the Parallel, whose Catch goes on.
 */
export function joinBranches(
  target: AthenaTarget,
  outputBucket: string,
  csvKeys: Readonly<Record<Table, string>>,
): AslBranch[] {
  return [
    parquetBranch(target, 'telemetry'),
    csvBranch(target, 'telemetry', outputBucket, csvKeys.telemetry),
    parquetBranch(target, 'coffees'),
    csvBranch(target, 'coffees', outputBucket, csvKeys.coffees),
  ];
}
