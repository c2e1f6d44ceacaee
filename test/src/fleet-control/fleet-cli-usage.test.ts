import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';

/** The fleet commands refuse bad usage before reaching any target (nothing listens here). */
describe('coffee-iot fleet commands: usage', () => {
  it.each([
    [['jobs', 'run', 'rm-rf', '--things', 'coffee-pi-1'], /not an operation devices run/],
    [['jobs', 'run', 'capture-photo'], /--things names no things/],
    [['jobs', 'run', 'capture-photo', '--things', 'a,a'], /names a thing twice/],
    [['jobs', 'run', 'capture-photo', '--things', 'pi/1'], /not a thing name/],
    [['jobs', 'run', 'restart', '--things', 'p', '--param', 'operation=x'], /operation/],
    [['jobs', 'run', 'restart', '--things', 'p', '--timeout-minutes', '0'], /1 to 10080/],
    [['jobs', 'status'], /needs a JOB_ID/],
    [['jobs', 'status', 'j1', '--things', 'p'], /--things is for jobs run/],
    [['jobs', 'frobnicate'], /expected "jobs run/],
    [['devices', 'config', 'coffee-pi-1', '--set', 'nokey'], /not key=value/],
    [['devices', 'config', 'coffee-pi-1', '--region', 'eu-west-1'], /--region needs --aws/],
    [['devices', 'config', 'coffee-pi-1', '--aws', '--dashboard', 'http://x'], /not with --aws/],
    [['devices', 'config', 'coffee-pi-1', '--dashboard', 'ftp://x'], /http/],
    [['devices', 'rotate-cert'], /name the THING/],
  ])('coffee-iot %j → exit 2: %s', async (argv, message) => {
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/--help/);
  });

  it('prints help for each, and help COMMAND is COMMAND --help', async () => {
    for (const argv of [
      ['jobs', '--help'],
      ['help', 'jobs'],
      ['devices', 'config', '-h'],
      ['help', 'devices', 'rotate-cert'],
    ]) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/^Usage: coffee-iot (jobs|devices config|devices rotate-cert)/);
    }
  });

  it('names the local stack it could not reach, and how to point elsewhere', async () => {
    const run = await runCli(['devices', 'config', 'coffee-pi-1', '--dashboard', 'http://127.0.0.1:9']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach the local stack at http:\/\/127\.0\.0\.1:9.*npm start/);
  });
});
