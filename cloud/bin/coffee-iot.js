#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` via `prepare`).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
// Exit once stdout has drained (piped output is asynchronous on some platforms), and explicitly,
// so a keep-alive socket left by the AWS SDK cannot hold a finished command open.
process.stdout.write('', () => process.exit(code));
