// Preloaded (`--require`) into every timed cold start, the baseline included: at exit the process
// writes its own CPU time (process.cpuUsage(): user and system, every thread, from its start) to
// fd 3, which the parent reads (bench/lib/cold-start.ts). CommonJS so the preload costs one small
// require and does not start the ESM loader that a bare `node -e ''` would otherwise skip.
'use strict';
const { writeSync } = require('node:fs');

process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  try {
    writeSync(3, `${JSON.stringify({ userUs: user, systemUs: system })}\n`);
  } catch {
    // No fd 3 (run by hand): nothing to report to.
  }
});
