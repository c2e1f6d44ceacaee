import {
  type DuckDBConnection,
  type DuckDBExtractedStatements,
  type DuckDBPreparedStatement,
  StatementType,
} from '@duckdb/node-api';
import { QueryRefusedError } from './refusals.js';
import { tableFunctionRefusal } from './table-functions.js';

/*
 * What `coffee-iot query` runs: exactly one statement that only reads. DuckDB decides what the
 * statement is, never a pattern over its text:
 *
 * - `extractStatements` (DuckDB's own splitter) must find one statement;
 * - `json_serialize_sql` (DuckDB's parser, serialised) must give one SELECT node. It serialises
 *   nothing else: SELECT, WITH, VALUES, FROM-first, PIVOT with an IN list, and DESCRIBE, SHOW and
 *   SUMMARIZE (a SELECT over a SHOW_REF, which only reads the catalog or the rows it is given).
 *   COPY, EXPORT, ATTACH, INSTALL, PRAGMA, SET, CALL, CREATE, INSERT… are refused here, before
 *   DuckDB binds them (binding EXPORT DATABASE alone may create its directory);
 * - every table function in that tree is on the allowed list (table-functions.ts): a SELECT can
 *   call functions that write files or change settings past lock_configuration;
 * - EXPLAIN is not serialised, and EXPLAIN ANALYZE runs the statement it explains. So EXPLAIN is
 *   accepted in one form only: the keyword, then a statement that passes the checks above on its
 *   own. `EXPLAIN ANALYZE …` and `EXPLAIN (ANALYZE) …` leave text after EXPLAIN that is not a
 *   SELECT, and are refused;
 * - last, the prepared statement's type (SELECT, or EXPLAIN for the EXPLAIN form) is checked.
 *
 * The text itself is read for two things only: to name a refused statement ("got COPY"), and to
 * find where an EXPLAIN's statement starts, which DuckDB then parses; neither accepts anything.
 */

const WHAT_RUNS = 'coffee-iot query runs one read-only statement (SELECT, WITH, EXPLAIN)';

function refusedStatement(got: string): QueryRefusedError {
  return new QueryRefusedError(`refused: ${WHAT_RUNS}; got ${got}`);
}

/** Skips leading whitespace and comments (`-- …` and `/* … *\/`, unnested: a nested one ends early, which only refuses). */
function afterTrivia(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.trimStart();
    if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      rest = end === -1 ? '' : trimmed.slice(end + 1);
    } else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      rest = end === -1 ? '' : trimmed.slice(end + 2);
    } else {
      return trimmed;
    }
  }
}

function isWordCharacter(character: string): boolean {
  const lower = character.toLowerCase();
  return character === '_' || (lower >= 'a' && lower <= 'z');
}

/** The statement's first word (ASCII letters and underscores), upper case, and the text after it. */
function firstWord(sql: string): { word: string; rest: string } {
  const text = afterTrivia(sql);
  let end = 0;
  while (end < text.length && isWordCharacter(text.charAt(end))) end += 1;
  return { word: text.slice(0, end).toUpperCase(), rest: text.slice(end) };
}

/** How a refused statement is named in the message: its first word, or what it looks like. */
function describe(sql: string): string {
  const { word } = firstWord(sql);
  if (word === '') return 'a statement that is not a query';
  if (['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'DESCRIBE', 'SHOW', 'SUMMARIZE'].includes(word)) {
    return `a ${word} statement that is not a plain query`;
  }
  return word;
}

interface Serialized {
  error: boolean;
  statements?: unknown[];
}

/** DuckDB's parse of `sql` as JSON: one SELECT node, or undefined when it is anything else. */
async function selectTree(connection: DuckDBConnection, sql: string): Promise<unknown | undefined> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql(CAST($1 AS VARCHAR))', [sql]);
  const parsed = JSON.parse(String(reader.getRows()[0]?.[0])) as Serialized;
  if (parsed.error !== false || parsed.statements?.length !== 1) return undefined;
  return parsed.statements[0];
}

/** The names of every table function anywhere in a serialised tree (subqueries, CTEs, SHOW_REF…). */
function tableFunctionNames(tree: unknown): string[] {
  const names: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    if (object.type === 'TABLE_FUNCTION') {
      const name = (object.function as { function_name?: unknown } | null)?.function_name;
      // A table function whose name cannot be read is not let through on trust.
      names.push(typeof name === 'string' ? name : '(unnamed)');
    }
    for (const value of Object.values(object)) visit(value);
  };
  visit(tree);
  return names;
}

function checkTableFunctions(tree: unknown): void {
  for (const name of tableFunctionNames(tree)) {
    const reason = tableFunctionRefusal(name);
    if (reason !== undefined) {
      throw new QueryRefusedError(`refused: coffee-iot query may not call ${name}(): ${reason}`);
    }
  }
}

/** Why an `EXPLAIN …` whose text after the keyword is not a plain query is refused. */
function explainRefusal(afterExplain: string): QueryRefusedError {
  const { word } = firstWord(afterExplain);
  if (word === 'ANALYZE' || word === 'ANALYSE') {
    return refusedStatement('EXPLAIN ANALYZE, which runs the statement it explains');
  }
  if (afterTrivia(afterExplain).startsWith('(')) {
    return refusedStatement('EXPLAIN with options; write EXPLAIN SELECT … (ANALYZE would run the statement)');
  }
  return refusedStatement(`EXPLAIN ${describe(afterExplain)}`);
}

/** The one extracted statement, prepared (bound, not run), if DuckDB gives it the `expected` type. */
async function prepareAs(
  statements: DuckDBExtractedStatements,
  expected: StatementType,
): Promise<DuckDBPreparedStatement> {
  const prepared = await statements.prepare(0);
  if (prepared.statementType !== expected) {
    prepared.destroySync();
    throw refusedStatement(StatementType[prepared.statementType] ?? 'a statement of an unknown type');
  }
  return prepared;
}

/**
 * `sql` prepared, once DuckDB has shown it is one statement that only reads (see above); throws
 * QueryRefusedError otherwise. DuckDB's own errors (syntax, unknown table) are thrown as they come.
 */
export async function prepareReadOnly(
  connection: DuckDBConnection,
  sql: string,
): Promise<DuckDBPreparedStatement> {
  const statements = await connection.extractStatements(sql);
  if (statements.count !== 1) {
    // DuckDB turns a PIVOT without an IN list into two statements (one makes an ENUM type).
    const pivot = firstWord(sql).word === 'PIVOT' ? ' (a PIVOT without an IN list is two: give it one)' : '';
    throw refusedStatement(`${statements.count} statements${pivot}`);
  }
  const tree = await selectTree(connection, sql);
  if (tree !== undefined) {
    checkTableFunctions(tree);
    return prepareAs(statements, StatementType.SELECT);
  }
  const { word, rest } = firstWord(sql);
  if (word !== 'EXPLAIN') throw refusedStatement(describe(sql));
  const explained = await selectTree(connection, rest);
  if (explained === undefined) throw explainRefusal(rest);
  checkTableFunctions(explained);
  return prepareAs(statements, StatementType.EXPLAIN);
}
