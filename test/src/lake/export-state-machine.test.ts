import { describe, expect, it } from 'vitest';
import { buildAthenaExportQueryTemplates } from '../../../cloud/src/lake/export/athena-export.js';
import { INPUT_COUNT_COLUMNS } from '../../../cloud/src/lake/export/export-sql.js';
import {
  type AslState,
  buildExportStateMachineDefinition,
  type ExportStateMachineOptions,
} from '../../../cloud/src/lake/export/export-state-machine.js';

const OPTIONS: ExportStateMachineOptions = {
  athenaWorkGroup: 'coffee-iot-export',
  database: 'coffee_lake',
  outputBucket: 'coffee-exports',
  photoBucket: 'coffee-photos',
  queryResultsLocation: 's3://coffee-athena-results/export/',
};
const definition = buildExportStateMachineDefinition(OPTIONS);

type States = Record<string, AslState>;
interface Scope {
  name: string;
  startAt: string;
  states: States;
}

/** The top level and every Parallel branch: each is its own graph of states. */
function scopes(states: States = definition.States, startAt = definition.StartAt, name = 'top'): Scope[] {
  const found: Scope[] = [{ name, startAt, states }];
  for (const [stateName, state] of Object.entries(states)) {
    const branches = (state.Branches ?? []) as { StartAt: string; States: States }[];
    branches.forEach((branch, index) => {
      found.push(...scopes(branch.States, branch.StartAt, `${stateName}[${index}]`));
    });
  }
  return found;
}

function transitions(state: AslState): string[] {
  const choices = (state.Choices ?? []) as { Next: string }[];
  const catches = (state.Catch ?? []) as { Next: string }[];
  return [state.Next, state.Default, ...choices.map((c) => c.Next), ...catches.map((c) => c.Next)].filter(
    (next): next is string => typeof next === 'string',
  );
}

/** A top-level state's Assign field. */
function assigned(name: string): Record<string, unknown> {
  const assign = definition.States[name]?.Assign;
  if (assign === undefined) throw new Error(`${name} assigns nothing`);
  return assign as Record<string, unknown>;
}

const allStates = () => scopes().flatMap((scope) => Object.entries(scope.states));
const tasks = () => allStates().filter(([, state]) => state.Type === 'Task');

describe('the export state machine (ASL)', () => {
  it('is JSONata ASL that survives JSON serialisation, well under the 1 MB definition limit', () => {
    const json = JSON.stringify(definition);
    expect(JSON.parse(json)).toEqual(definition);
    expect(json.length).toBeLessThan(200_000);
    expect(definition).toMatchObject({
      QueryLanguage: 'JSONata',
      StartAt: 'ChooseDay',
      TimeoutSeconds: 7200,
    });
  });

  it('goes find input → choice → join | nothing, through the states named here', () => {
    const next = (name: string) => definition.States[name]?.Next;
    expect(next('ChooseDay')).toBe('CheckDay');
    expect(next('PlanQueries')).toBe('FindInput');
    expect(next('FindInput')).toBe('ReadInputCounts');
    expect(next('ReadInputCounts')).toBe('AnythingToExport');
    expect(next('ListEarlierExport')).toBe('EarlierExportFound');
    expect(next('DeleteEarlierExport')).toBe('EarlierExportDeleted');
    expect(next('Join')).toBe('Exported');
    expect(definition.States.CheckDay).toMatchObject({
      Choices: [{ Next: 'PlanQueries' }],
      Default: 'InvalidDate',
    });
    expect(definition.States.EarlierExportFound).toMatchObject({
      Choices: [{ Condition: '{% $states.input.KeyCount > 0 %}', Next: 'DeleteEarlierExport' }],
      Default: 'Join',
    });
    // Deleted, then listed again until nothing is left (a listing holds at most 1,000 keys).
    expect(definition.States.EarlierExportDeleted).toMatchObject({ Default: 'ListEarlierExport' });
    expect(definition.States.NothingToExport).toMatchObject({
      Type: 'Succeed',
      Output: { status: 'nothing-to-export', message: "{% 'nothing to export for ' & $day %}" },
    });
    expect(definition.States.Exported?.Type).toBe('Succeed');
  });

  it('chooses "nothing to export" on zero readings and zero coffees, read from the count query', () => {
    expect(definition.States.AnythingToExport).toEqual({
      Type: 'Choice',
      Choices: [
        { Condition: '{% $counts.telemetry_rows + $counts.coffee_rows = 0 %}', Next: 'NothingToExport' },
      ],
      Default: 'ListEarlierExport',
    });
    const counts = String(assigned('ReadInputCounts').counts);
    INPUT_COUNT_COLUMNS.forEach((column, index) => {
      expect(counts).toContain(
        `'${column}': $number($states.result.ResultSet.Rows[1].Data[${index}].VarCharValue)`,
      );
    });
  });

  it('runs the count on Athena and waits for it (.sync), in the work group and database given', () => {
    expect(definition.States.FindInput).toMatchObject({
      Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
      Arguments: {
        QueryString: '{% $queries.count %}',
        WorkGroup: 'coffee-iot-export',
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'coffee_lake' },
        ResultConfiguration: { OutputLocation: 's3://coffee-athena-results/export/' },
      },
    });
    expect(definition.States.ReadInputCounts?.Resource).toBe('arn:aws:states:::athena:getQueryResults');
  });

  it('joins in parallel: UNLOAD Parquet, and SELECT then copy the CSV, for both tables', () => {
    const join = definition.States.Join as { Type: string; Branches: { StartAt: string; States: States }[] };
    expect(join.Type).toBe('Parallel');
    const queriesRun = join.Branches.flatMap((branch) =>
      Object.values(branch.States)
        .map((state) => (state.Arguments as { QueryString?: string } | undefined)?.QueryString)
        .filter(Boolean),
    );
    expect(queriesRun.sort()).toEqual([
      '{% $queries.coffeesCsv %}',
      '{% $queries.coffeesParquet %}',
      '{% $queries.telemetryCsv %}',
      '{% $queries.telemetryParquet %}',
    ]);
    const copy = join.Branches[1]?.States.CopyTelemetryCsv;
    expect(copy).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:s3:copyObject',
      Arguments: { Bucket: 'coffee-exports', Key: "{% 'exports/' & $day & '/telemetry.csv' %}" },
    });
  });

  it('gives every Task a Retry (Athena throttling on every Athena call) and a Catch to a Fail state', () => {
    expect(tasks().map(([name]) => name)).toHaveLength(10);
    for (const [name, state] of tasks()) {
      const retry = state.Retry as { ErrorEquals: string[] }[] | undefined;
      expect(retry?.length, name).toBeGreaterThan(0);
      if (String(state.Resource).includes(':athena:')) {
        expect(retry?.[0]?.ErrorEquals, name).toContain('Athena.TooManyRequestsException');
      }
      const catches = state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined;
      expect(catches, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: expect.any(String) }]);
      const scope = scopes().find((candidate) => name in candidate.states);
      expect(scope?.states[catches?.[0]?.Next ?? '']?.Type, name).toBe('Fail');
    }
    expect(definition.States.Join?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'ExportFailed' }]);
  });

  it('never retries an UNLOAD that failed: it may have left files, and UNLOAD needs an empty location', () => {
    for (const [name, state] of tasks().filter(([name]) => name.startsWith('Unload'))) {
      const errors = (state.Retry as { ErrorEquals: string[] }[]).flatMap((retrier) => retrier.ErrorEquals);
      expect(errors, name).not.toContain('States.TaskFailed');
      expect(errors, name).not.toContain('States.ALL');
    }
  });

  it('has no dangling transition, no unreachable state and no dead end, in every scope', () => {
    for (const scope of scopes()) {
      const names = Object.keys(scope.states);
      const reached = new Set<string>();
      const queue = [scope.startAt];
      while (queue.length > 0) {
        const name = queue.shift() as string;
        if (reached.has(name)) continue;
        reached.add(name);
        const state = scope.states[name];
        expect(state, `${scope.name}: ${name}`).toBeDefined();
        queue.push(...transitions(state as AslState));
      }
      expect([...reached].sort(), scope.name).toEqual(names.sort());
      for (const [name, state] of Object.entries(scope.states)) {
        const terminal = state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true;
        expect(terminal || transitions(state).length > 0, `${scope.name}: ${name}`).toBe(true);
      }
    }
  });

  it('carries the SQL templates as plain strings, and fills in every day token in PlanQueries', () => {
    const { queries, tokens } = buildAthenaExportQueryTemplates(OPTIONS);
    expect(assigned('ChooseDay').templates).toEqual(queries);
    const plan = String(assigned('PlanQueries').queries);
    for (const { token } of tokens) expect(plan).toContain(`'${token}'`);
    for (const name of Object.keys(queries)) expect(plan).toContain(`'${name}': $render($templates.${name})`);
    expect(plan).toContain("$fromMillis($dayMs + -86400000, '[M01]')");
  });

  it("defaults the day to the UTC day before the execution's start, and refuses a malformed one", () => {
    expect(assigned('ChooseDay').day).toBe(
      "{% $exists($states.input.date) ? $states.input.date : $fromMillis($toMillis($states.context.Execution.StartTime) - 86400000, '[Y0001]-[M01]-[D01]') %}",
    );
    expect(definition.States.InvalidDate).toMatchObject({ Type: 'Fail', Error: 'InvalidExportDate' });
  });

  it('leaves the query results location to the work group when none is given', () => {
    const { queryResultsLocation: _, ...withoutLocation } = OPTIONS;
    const states = buildExportStateMachineDefinition(withoutLocation).States;
    expect(states.FindInput?.Arguments).not.toHaveProperty('ResultConfiguration');
  });
});
