import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { i2cProbe, nodeDoctorFs, runCommand } from './node-doctor-ports.js';

describe('the real doctor probes (the parts that run anywhere)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-doctor-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('probes a directory by writing a file, and leaves nothing behind', async () => {
    await nodeDoctorFs.probeWritable(dir);
    expect(await readdir(dir)).toEqual([]);
    await expect(nodeDoctorFs.probeWritable(join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await nodeDoctorFs.availableBytes(dir)).toBeGreaterThan(0);
    expect(await nodeDoctorFs.exists(dir)).toBe(true);
    expect(await nodeDoctorFs.exists(join(dir, 'absent'))).toBe(false);
  });

  it('rejects with ENOENT for a program that is not installed, and resolves a failing one', async () => {
    await expect(runCommand('coffee-iot-no-such-program', [])).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await runCommand(process.execPath, ['-e', 'process.stdout.write("no"); process.exit(3)'])).toEqual(
      {
        code: 3,
        stdout: 'no',
        stderr: '',
      },
    );
  });

  it('rejects with the errno of a bus that does not exist (I2C not enabled)', async () => {
    const probe = i2cProbe(async () => () => 0);
    await expect(probe(99, 0x5c)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
