#!/usr/bin/env node
// Thin launcher: the agent is compiled to dist/ by `npm run build` (run by `npm ci` via `prepare`).
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
// Exit explicitly: a native MQTT client thread must not keep a stopped agent alive.
process.exit(code);
