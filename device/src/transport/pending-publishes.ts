import type { MqttPublishError } from './transport-port.js';

/**
 * QoS 1 publishes waiting for their PUBACK. Neither MQTT client library rejects these when the
 * connection drops (aws-crt holds them for a reconnect, MQTT.js keeps them in its store), yet
 * our port promises a prompt rejection so the spool can resend on the next connection.
 */
export class PendingPublishes {
  private readonly rejecters = new Set<(error: MqttPublishError) => void>();

  get size(): number {
    return this.rejecters.size;
  }

  /**
   * Settles with `acknowledged`, or rejects earlier when `rejectAll` is called. A failure of
   * `acknowledged` itself is wrapped by `describeFailure`.
   */
  track(
    acknowledged: Promise<unknown>,
    describeFailure: (error: unknown) => MqttPublishError,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        this.rejecters.delete(rejectEarly);
        outcome();
      };
      const rejectEarly = (error: MqttPublishError) => settle(() => reject(error));
      this.rejecters.add(rejectEarly);
      acknowledged.then(
        () => settle(resolve),
        (error: unknown) => settle(() => reject(describeFailure(error))),
      );
    });
  }

  /** Rejects every pending publish with `error` (one instance shared by all of them). */
  rejectAll(error: MqttPublishError): void {
    for (const reject of [...this.rejecters]) reject(error);
  }
}
