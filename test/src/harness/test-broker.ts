import type { TestPki } from './test-pki.js';

/**
 * What a contract suite needs from a broker, so the same cases run against mosquitto and the
 * embedded aedes broker.
 */
export interface TestBroker {
  readonly kind: 'mosquitto' | 'aedes';
  readonly host: string;
  /** Fixed for the broker's lifetime: restart() comes back on the same port. */
  readonly port: number;
  readonly pki: TestPki;
  start(): Promise<void>;
  /** Orderly stop (mosquitto: SIGTERM, saving persistent sessions). */
  stop(): Promise<void>;
  /** Abrupt stop (mosquitto: SIGKILL); also the way to end a frozen broker. */
  kill(): Promise<void>;
  /** stop() then start() on the same port. */
  restart(): Promise<void>;
  /** Keeps connections open but answers nothing more, so a publish stays without PUBACK. */
  freeze(): Promise<void>;
  /** MQTT connections the broker has accepted from `clientId` since it was created. */
  connectionsFrom(clientId: string): number;
  /** The broker's own log so far, to attach to a failing test. */
  logs(): string;
  /** Stops the broker if running and deletes its files. */
  cleanup(): Promise<void>;
}
