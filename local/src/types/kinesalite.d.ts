// kinesalite 3.3 ships no types; this covers what the tests use.
declare module 'kinesalite' {
  import type { Server } from 'node:http';

  namespace kinesalite {
    interface KinesaliteOptions {
      /** LevelDB directory; in memory (memdown) when absent. */
      path?: string;
      ssl?: boolean;
      /** How long a new stream stays CREATING (default 500 ms). */
      createStreamMs?: number;
      deleteStreamMs?: number;
      updateStreamMs?: number;
      shardLimit?: number;
    }
  }

  /** An http.Server whose close() also closes the store. */
  function kinesalite(options?: kinesalite.KinesaliteOptions): Server;
  export = kinesalite;
}
