/**
 * `coffee-iot query` as its own process, for the query benchmark: what the `coffee-iot` bin
 * does for `query` (runQuery with the process's streams and environment), bundled by
 * query-bundle.ts so that it starts as a built CLI does, without a TypeScript loader.
 */
import { runQuery } from '../../cloud/src/cli/commands/query.js';

const code = await runQuery(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.stdout.write('', () => process.exit(code));
