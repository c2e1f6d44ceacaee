/** The process-level hooks the runner needs, injected so tests can raise signals safely. */
export interface ProcessHooks {
  /** Subscribes to SIGTERM/SIGINT; returns an unsubscribe function. */
  onShutdownSignal(listener: (signal: NodeJS.Signals) => void): () => void;
  pid: number;
}

export const nodeProcessHooks: ProcessHooks = {
  onShutdownSignal(listener) {
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
    for (const signal of signals) process.on(signal, listener);
    return () => {
      for (const signal of signals) process.off(signal, listener);
    };
  },
  pid: process.pid,
};
