// Prints docs/costs.md's tables from the cost model:
//   node --import tsx infra/src/costs/print-cost-tables.ts
import {
  batchingTable,
  differencesTable,
  everyLineTable,
  goalFigures,
  markdown,
  perDeviceTable,
  summaryTable,
} from './cost-tables.js';

const sections = [
  ['Summary', summaryTable()],
  ['Per device', perDeviceTable()],
  ['Every line, default deployment, batchSeconds 0', everyLineTable()],
  ['What the other paths and the fleet profile change', differencesTable()],
  ['Batching', batchingTable()],
] as const;
for (const [title, table] of sections) process.stdout.write(`## ${title}\n\n${markdown(table)}\n\n`);
process.stdout.write(`Goals: ${JSON.stringify(goalFigures())}\n`);
