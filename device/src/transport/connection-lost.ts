import type { Logger } from '../ports/logger.js';

/** What `onConnectionLost` listeners receive; `cause` carries the client library's own error. */
export class MqttConnectionLostError extends Error {
  override readonly name = 'MqttConnectionLostError';
}

/** Fan-out for `onConnectionLost`: a throwing listener is logged and does not stop the others. */
export class ConnectionLostListeners {
  private readonly listeners: ((error: Error) => void)[] = [];

  constructor(private readonly log: Logger) {}

  add(listener: (error: Error) => void): void {
    this.listeners.push(listener);
  }

  notify(error: MqttConnectionLostError): void {
    for (const listener of this.listeners) {
      try {
        listener(error);
      } catch (listenerError) {
        this.log.error({ err: listenerError }, 'onConnectionLost listener threw');
      }
    }
  }
}
