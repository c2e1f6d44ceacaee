/** A port another program already holds: names the port and the flag that moves it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly part: string,
    readonly port: number,
    readonly flag: string,
    options?: ErrorOptions,
  ) {
    super(
      `${part} cannot listen on 127.0.0.1:${port}: the port is in use (another coffee-iot stack?). ` +
        `Stop that program or choose another port with ${flag} N`,
      options,
    );
  }
}

/** The data directory cannot hold the stack's state. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
  constructor(
    readonly path: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `data directory ${path} is not usable: ${reason}. Fix its permissions or choose another with --data-dir DIR`,
      options,
    );
  }
}

/**
 * Another coffee-iot stack holds the data directory. `verified` says whether the process behind
 * the pid was proven to be the one that wrote the lock; where the OS cannot tell, the message
 * says how to check and which file to delete.
 */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly path: string,
    readonly lockPath: string,
    readonly pid: number,
    readonly holder: 'this process' | 'another process' | 'unverified',
    startedAt?: string,
  ) {
    super(DataDirInUseError.explain(path, lockPath, pid, holder, startedAt));
  }

  get verified(): boolean {
    return this.holder !== 'unverified';
  }

  private static explain(
    path: string,
    lockPath: string,
    pid: number,
    holder: DataDirInUseError['holder'],
    startedAt: string | undefined,
  ): string {
    const elsewhere = 'or choose another directory with --data-dir DIR';
    if (holder === 'this process') {
      return `data directory ${path} is in use by another coffee-iot stack (pid ${pid}, this process): stop that stack first, ${elsewhere}`;
    }
    if (holder === 'another process') {
      const since = startedAt ? `, started ${startedAt}` : '';
      return (
        `data directory ${path} is in use by another coffee-iot stack (pid ${pid}${since}): ` +
        `stop it first (Ctrl-C in its terminal, or kill ${pid}), ${elsewhere}`
      );
    }
    return (
      `data directory ${path} may be in use by another coffee-iot stack: its lock names pid ${pid}, ` +
      `which is running, but this system cannot tell whether it is the stack that wrote the lock. ` +
      `If \`ps -p ${pid}\` shows a coffee-iot stack, stop it (kill ${pid}); if it shows another program, ` +
      `delete ${lockPath} and start again; ${elsewhere}`
    );
  }
}

/** An optional native module that did not load: what is lost and how to get it back. */
export class MissingNativeModuleError extends Error {
  override readonly name = 'MissingNativeModuleError';
  constructor(
    readonly moduleName: string,
    lost: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    super(`${moduleName} did not load, so ${lost}. ${fix}`, options);
  }
}

/** EADDRINUSE, also when wrapped (the broker wraps its listen error as the cause). */
export function isAddressInUse(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if ((current as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
  }
  return false;
}

/** Runs a listen step; EADDRINUSE becomes a PortInUseError naming the flag. */
export async function listenOrExplain<T>(
  part: string,
  port: number,
  flag: string,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    if (isAddressInUse(error)) throw new PortInUseError(part, port, flag, { cause: error });
    throw error;
  }
}
