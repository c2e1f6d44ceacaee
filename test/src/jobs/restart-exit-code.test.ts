import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, EXIT_RESTART_REQUESTED } from '../../../device/src/exit-codes.js';

const UNIT = fileURLToPath(new URL('../../../device/systemd/coffee-iot-agent.service', import.meta.url));

describe('a restart asked for by a job', () => {
  it('exits with a code the systemd unit restarts on', async () => {
    const unit = await readFile(UNIT, 'utf8');
    expect(unit).toMatch(/^Restart=always$/m);
    const prevented = (/^RestartPreventExitStatus=(.*)$/m.exec(unit)?.[1] ?? '').split(/\s+/).map(Number);
    expect(prevented).not.toContain(EXIT_RESTART_REQUESTED);
    expect(EXIT_CODES.map((c) => c.code)).toContain(EXIT_RESTART_REQUESTED);
  });
});
