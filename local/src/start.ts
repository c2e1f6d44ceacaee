import { createInterface } from 'node:readline';
import { createLogger } from '@coffee-iot/device';
import type { DashboardEvents } from './dashboard/api-types.js';
import { describeCoffee } from './stack/describe-coffee.js';
import { startLocalStack } from './stack/local-stack.js';
import { parseStackArgs, USAGE } from './stack/stack-args.js';
import type { LocalStackOptions } from './stack/stack-options.js';

async function main(argv: string[]): Promise<number> {
  let options: LocalStackOptions | 'help';
  try {
    options = parseStackArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const write = (line: string) => process.stdout.write(`${line}\n`);
  write('coffee-iot local stack starting…');
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack(options, write, createLogger(options.logLevel));
  } catch (error) {
    process.stderr.write(`\ncoffee-iot local stack did not start: ${(error as Error).message}\n`);
    return 1;
  }
  const first = stack.thingNames[0];
  write('');
  write(`  data directory  ${stack.dataDir}`);
  write(`  dashboard       ${stack.dashboardUrl}   ← open this`);
  if (first) write(`  brew a coffee   press Enter here (${first}), or the Brew buttons on the dashboard`);
  write(
    `  query the lake  npx coffee-iot query --lake ${stack.lakeDir} "SELECT device_id, count(*) FROM telemetry GROUP BY 1"`,
  );
  write('  Ctrl-C stops everything.');

  const keyboard = first ? brewOnEnter(() => stack.press(first), write) : undefined;
  stack.subscribe((name, data) => {
    if (name === 'coffee') write(describeCoffee((data as DashboardEvents['coffee']).coffee));
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  keyboard?.close();
  write(`\n${signal}: stopping (a second Ctrl-C forces it)…`);
  process.once('SIGINT', () => process.exit(130));
  try {
    await stack.stop();
  } catch (error) {
    process.stderr.write(`some parts did not stop cleanly: ${(error as Error).message}\n`);
    return 1;
  }
  write('local stack stopped');
  return 0;
}

function brewOnEnter(
  press: () => Promise<void>,
  write: (line: string) => void,
): { close(): void } | undefined {
  if (!process.stdin.readable) return undefined;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', () => {
    press().then(
      () => write('☕ brewing…'),
      (error: unknown) => write(`could not brew: ${(error as Error).message}`),
    );
  });
  return lines;
}

process.exitCode = await main(process.argv.slice(2));
