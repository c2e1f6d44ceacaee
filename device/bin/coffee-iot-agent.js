#!/usr/bin/env node
// Thin launcher: the agent is compiled to dist/ by `npm run build` (run by `npm ci` via `prepare`).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
