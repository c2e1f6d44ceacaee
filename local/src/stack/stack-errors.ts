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
