import type { AthenaExportQueryName } from './athena-export.js';

/** The pieces the export state machine is built from: resources, retry policies, error routes. */
export type AslState = Record<string, unknown>;
export interface AslBranch {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
}

export const RESOURCES = Object.freeze({
  athenaQuery: 'arn:aws:states:::athena:startQueryExecution.sync',
  athenaResults: 'arn:aws:states:::athena:getQueryResults',
  s3List: 'arn:aws:states:::aws-sdk:s3:listObjectsV2',
  s3Delete: 'arn:aws:states:::aws-sdk:s3:deleteObjects',
  s3Copy: 'arn:aws:states:::aws-sdk:s3:copyObject',
  lambdaInvoke: 'arn:aws:states:::lambda:invoke',
});

/** Athena refuses a query when the account or work group runs too many: wait and ask again. */
export const ATHENA_THROTTLED = Object.freeze({
  ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'],
  IntervalSeconds: 10,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 300,
  JitterStrategy: 'FULL',
});

/**
 * A read-only query that failed left nothing behind, so running it again is safe. An UNLOAD that
 * failed may have written files (Athena does not remove them) and UNLOAD refuses a location that
 * is not empty: those are not retried — the execution fails, and a re-run clears and starts over.
 */
export const READ_ONLY_QUERY_FAILED = Object.freeze({
  ErrorEquals: ['States.TaskFailed'],
  IntervalSeconds: 30,
  MaxAttempts: 2,
  BackoffRate: 2,
});

/** Reading results, listing, deleting and copying are idempotent: safe to repeat. */
export const IDEMPOTENT_CALL_FAILED = Object.freeze({
  ErrorEquals: ['States.TaskFailed'],
  IntervalSeconds: 2,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
});

export const jsonata = (expression: string) => `{% ${expression} %}`;

export const catchTo = (next: string) => [{ ErrorEquals: ['States.ALL'], Next: next }];

/** A Fail state passing on the error a Catch routed to it. */
export const failWithCaughtError = (): AslState => ({
  Type: 'Fail',
  Error: jsonata('$states.input.Error'),
  Cause: jsonata('$states.input.Cause'),
});

/** Where the export's queries run. */
export interface AthenaTarget {
  readonly workGroup: string;
  readonly database: string;
  readonly queryResultsLocation: string | undefined;
}

/** StartQueryExecution's arguments for one of the statements PlanQueries put in $queries. */
export function athenaArguments(target: AthenaTarget, query: AthenaExportQueryName) {
  return {
    QueryString: jsonata(`$queries.${query}`),
    WorkGroup: target.workGroup,
    QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: target.database },
    ...(target.queryResultsLocation === undefined
      ? {}
      : { ResultConfiguration: { OutputLocation: target.queryResultsLocation } }),
  };
}
