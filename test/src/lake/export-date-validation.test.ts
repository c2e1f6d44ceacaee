import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { buildAthenaExportQueries } from '../../../cloud/src/lake/export/athena-export.js';
import {
  type AslState,
  buildExportStateMachineDefinition,
  type ExportStateMachineOptions,
} from '../../../cloud/src/lake/export/export-state-machine.js';

/**
 * The export state machine's own JSONata, evaluated with the jsonata package: the states before
 * the first query (Pass and Choice) are driven as Step Functions would, from StartAt, until the
 * machine ends (Fail, Succeed) or reaches a state that runs something (Task, Parallel), which is
 * where a bad day must never get.
 */
const OPTIONS: ExportStateMachineOptions = {
  athenaWorkGroup: 'coffee-iot-export',
  database: 'coffee_lake',
  outputBucket: 'coffee-exports',
  photoBucket: 'coffee-photos',
  queryResultsLocation: 's3://coffee-athena-results/export/',
};
const SNAPSHOT_FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:devices-snapshot';
const definition = buildExportStateMachineDefinition(OPTIONS);
const withSnapshot = buildExportStateMachineDefinition({
  ...OPTIONS,
  devicesSnapshotFunction: SNAPSHOT_FUNCTION,
});

const JSONATA = /^\{%([\s\S]*)%\}$/;
type Variables = Record<string, unknown>;

/** A field as Step Functions resolves it: `{% … %}` strings evaluated, everything else as it is. */
async function resolve(value: unknown, variables: Variables): Promise<unknown> {
  if (typeof value === 'string') {
    const match = JSONATA.exec(value);
    return match === null ? value : jsonata(match[1] as string).evaluate(undefined, variables);
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => resolve(item, variables)));
  if (value !== null && typeof value === 'object') {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await resolve(item, variables)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

type Ending =
  | { kind: 'fail'; state: string; error: unknown; cause: unknown; visited: string[] }
  | { kind: 'succeed'; state: string; visited: string[] }
  | { kind: 'runs'; state: string; type: string; variables: Variables; visited: string[] };

async function drive(
  input: Variables,
  startTime = '2026-03-05T01:30:00.000Z',
  machine: typeof definition = definition,
): Promise<Ending> {
  const states = machine.States;
  const context = { Execution: { StartTime: startTime } };
  let variables: Variables = {};
  const visited: string[] = [];
  let name = machine.StartAt;
  for (let steps = 0; steps < 20; steps++) {
    const state = states[name] as AslState;
    visited.push(name);
    const scope = { ...variables, states: { input, context } };
    switch (state.Type) {
      case 'Pass': {
        // Every Assign expression sees the variables as they were before the state.
        const assigned = (await resolve(state.Assign ?? {}, scope)) as Variables;
        variables = { ...variables, ...assigned };
        name = state.Next as string;
        break;
      }
      case 'Choice': {
        let next = state.Default as string;
        for (const choice of state.Choices as { Condition: string; Next: string }[]) {
          const holds = await resolve(choice.Condition, scope);
          if (typeof holds !== 'boolean') throw new Error(`${name}: a Condition gave ${String(holds)}`);
          if (holds) {
            next = choice.Next;
            break;
          }
        }
        name = next;
        break;
      }
      case 'Fail':
        return {
          kind: 'fail',
          state: name,
          error: await resolve(state.Error, scope),
          cause: await resolve(state.Cause, scope),
          visited,
        };
      case 'Succeed':
        return { kind: 'succeed', state: name, visited };
      default:
        return { kind: 'runs', state: name, type: String(state.Type), variables, visited };
    }
  }
  throw new Error('no end after 20 states');
}

/** The states that run something: none may be reached with a bad day. */
const RUNNING_STATES = Object.entries(withSnapshot.States)
  .filter(([, state]) => state.Type === 'Task' || state.Type === 'Parallel')
  .map(([name]) => name);

describe('the export state machine refuses a day that is not a real calendar day', () => {
  const badDays: unknown[] = [
    '2026-02-30',
    '2026-13-45',
    '2026-2-3',
    '',
    '2027-02-29',
    '1900-02-29',
    '2026-00-10',
    '2026-04-31',
    '2026-01-00',
    '2026-03-04T00:00:00Z',
    ' 2026-03-04',
    '２０２６-03-04',
    20260304,
    null,
    ['2026-03-04'],
  ];

  it.each(badDays.map((day) => [JSON.stringify(day), day]))(
    '%s ends in a Fail state with InvalidExportDate before any query',
    async (_, day) => {
      const ending = await drive({ date: day });
      expect(ending).toMatchObject({ kind: 'fail', error: 'InvalidExportDate' });
      expect(await drive({ date: day }, undefined, withSnapshot)).toMatchObject({
        kind: 'fail',
        error: 'InvalidExportDate',
        visited: ['ChooseDay', 'CheckDay', 'InvalidDate'],
      });
      expect(String((ending as { cause: unknown }).cause)).toContain('real calendar day');
      expect(ending.visited.filter((state) => RUNNING_STATES.includes(state))).toEqual([]);
      expect(ending.visited).not.toContain('PlanQueries');
    },
  );
});

describe('the export state machine takes a real day to its first query, with the SQL for that day', () => {
  it.each(['2026-03-04', '2028-02-29', '2000-02-29', '2026-12-31', '2027-01-01'])(
    '%s reaches FindInput with the queries buildAthenaExportQueries writes for it',
    async (day) => {
      const ending = await drive({ date: day });
      expect(ending).toMatchObject({ kind: 'runs', state: 'FindInput', type: 'Task' });
      const { variables } = ending as { variables: Variables };
      expect(variables.day).toBe(day);
      expect(variables.queries).toEqual({ ...buildAthenaExportQueries(day, OPTIONS) });
    },
  );

  it('writes the devices snapshot first, when the machine has the function, with the day planned', async () => {
    const ending = await drive({ date: '2028-02-29' }, undefined, withSnapshot);
    expect(ending).toMatchObject({ kind: 'runs', state: 'SnapshotDevices', type: 'Task' });
    expect((ending as { variables: Variables }).variables.queries).toEqual({
      ...buildAthenaExportQueries('2028-02-29', OPTIONS),
    });
    expect(withSnapshot.States.SnapshotDevices).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: SNAPSHOT_FUNCTION },
      Next: 'FindInput',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'ExportFailed' }],
    });
  });

  it('exports the UTC day before the start when given {}: 2028-02-29 from a 1 March start', async () => {
    const ending = await drive({}, '2028-03-01T01:30:00.000Z');
    expect(ending).toMatchObject({ kind: 'runs', state: 'FindInput' });
    expect((ending as { variables: Variables }).variables.day).toBe('2028-02-29');
  });
});
