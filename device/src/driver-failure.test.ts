import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyDriverFailure } from './driver-failure.js';

/** Runs `load` and returns what it threw: the exact error Node produces. */
async function thrownBy(load: () => unknown): Promise<unknown> {
  try {
    await load();
  } catch (error) {
    return error;
  }
  throw new Error('expected the load to fail');
}

describe('classifyDriverFailure', () => {
  let dir: string;
  let requireHere: NodeJS.Require;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-driver-'));
    requireHere = createRequire(join(dir, 'index.js'));
    await writeFile(join(dir, 'text.node'), 'this is not a shared object, it is text '.repeat(4));
    // A 32-bit ELF header: what an armhf build of a native module looks like to a 64-bit Node.
    const elf32 = Buffer.alloc(64);
    elf32.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
    await writeFile(join(dir, 'elf32.node'), elf32);
    // A module whose own dependency (its native build) is missing, as nodeimu is without a compiler.
    await writeFile(join(dir, 'needs-build.cjs'), "module.exports = require('./out/NodeIMU');\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('calls a package npm left out an install problem (ERR_MODULE_NOT_FOUND from import())', async () => {
    const missing = 'coffee-iot-no-such-driver';
    const error = await thrownBy(() => import(missing));
    expect(error).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    expect(classifyDriverFailure(error)).toBe('module-missing');
  });

  it('calls a missing CommonJS dependency an install problem (MODULE_NOT_FOUND)', async () => {
    const error = await thrownBy(() => requireHere('./needs-build.cjs'));
    expect(error).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    expect(classifyDriverFailure(error)).toBe('module-missing');
  });

  it('calls a .node file that is not ELF an install problem (invalid ELF header)', async () => {
    const error = await thrownBy(() => requireHere('./text.node'));
    expect((error as Error).message).toMatch(/invalid ELF header/);
    expect(classifyDriverFailure(error)).toBe('module-missing');
  });

  it('calls a .node built for another architecture an install problem (wrong ELF class)', async () => {
    const error = await thrownBy(() => requireHere('./elf32.node'));
    expect((error as Error).message).toMatch(/wrong ELF class: ELFCLASS32/);
    expect(classifyDriverFailure(error)).toBe('module-missing');
  });

  it('calls a .node built for another Node ABI an install problem (NODE_MODULE_VERSION)', () => {
    // Node's own wording (src/node_binding.cc); producing it needs a second Node version.
    const error = Object.assign(
      new Error(
        "The module '/opt/coffee-iot/agent/node_modules/nodeimu/out/NodeIMU.node'\n" +
          'was compiled against a different Node.js version using\n' +
          'NODE_MODULE_VERSION 115. This version of Node.js requires\n' +
          'NODE_MODULE_VERSION 137. Please try re-compiling or re-installing\n' +
          'the module (for instance, using `npm rebuild` or `npm install`).',
      ),
      { code: 'ERR_DLOPEN_FAILED' },
    );
    expect(classifyDriverFailure(error)).toBe('module-missing');
  });

  it('calls a native build that never happened an install problem (the bindings package)', () => {
    // What onoff (epoll) and sense-hat-led (ioctl) throw when npm skipped their build.
    const error = new Error(
      'Could not locate the bindings file. Tried:\n → /opt/coffee-iot/agent/node_modules/epoll/build/epoll.node',
    );
    expect(classifyDriverFailure(error)).toBe('module-missing');
  });

  it('looks through wrapping errors to the cause', async () => {
    const cause = await thrownBy(() => requireHere('./text.node'));
    expect(classifyDriverFailure(new Error('driver failed', { cause }))).toBe('module-missing');
  });

  it.each([
    ['the Sense HAT framebuffer is absent', new Error('Cannot detect RPi-Sense FB device')],
    [
      'I2C is not enabled',
      Object.assign(new Error("ENOENT: no such file or directory, open '/dev/i2c-1'"), { code: 'ENOENT' }),
    ],
    [
      'the user is not in the i2c group',
      Object.assign(new Error("EACCES: permission denied, open '/dev/i2c-1'"), { code: 'EACCES' }),
    ],
    ['nothing answers at the address', Object.assign(new Error('Remote I/O error'), { code: 'EREMOTEIO' })],
    ['the read times out', new Error('Sense HAT read timed out after 500 ms')],
  ])('calls it the hardware when %s', (_what, error) => {
    expect(classifyDriverFailure(error)).toBe('hardware-absent');
  });
});
