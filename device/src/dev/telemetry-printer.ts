import {
  parseTelemetryEnvelope,
  type TelemetryReading,
  topicFilter,
  validateCoffeeEvent,
} from '@coffee-iot/shared';
import type { Aedes } from 'aedes';

export interface TelemetryPrinterOptions {
  aedes: Aedes;
  topicPrefix: string;
  write: (line: string) => void;
}

/** One terminal line per reading, so a developer sees the data arrive once a second. */
export function formatReading(deviceId: string, reading: TelemetryReading): string {
  const ambient =
    reading.temperatureAmbient === undefined ? '' : ` (ambient ${reading.temperatureAmbient.toFixed(1)} °C)`;
  return (
    `${reading.ts}  ${deviceId}  seq ${String(reading.seq).padStart(6)}  ` +
    `${reading.temperature.toFixed(1)} °C${ambient}  ${reading.humidity.toFixed(1)} %RH  ` +
    `${reading.pressure.toFixed(1)} hPa  pitch ${reading.pitch.toFixed(1)}° roll ${reading.roll.toFixed(1)}° yaw ${reading.yaw.toFixed(1)}°`
  );
}

/**
 * Subscribes inside the embedded broker (no extra MQTT client) and prints telemetry and
 * health. Invalid messages are printed as errors, never skipped silently.
 */
export class TelemetryPrinter {
  private readonly handlers: Array<{ topic: string; handler: Parameters<Aedes['subscribe']>[1] }> = [];

  constructor(private readonly options: TelemetryPrinterOptions) {}

  async start(): Promise<void> {
    const { topicPrefix, write } = this.options;
    await this.subscribe(topicFilter(topicPrefix, 'telemetry'), (payload) => {
      try {
        const envelope = parseTelemetryEnvelope(payload);
        for (const reading of envelope.readings) write(formatReading(envelope.deviceId, reading));
      } catch (error) {
        write(`invalid telemetry: ${String(error)}`);
      }
    });
    await this.subscribe(topicFilter(topicPrefix, 'health'), (payload, topic) => {
      write(`health ${topic}: ${payload.toString('utf8')}`);
    });
    await this.subscribe(topicFilter(topicPrefix, 'coffee'), (payload) => {
      const result = validateCoffeeEvent(JSON.parse(payload.toString('utf8')));
      if (!result.ok) {
        write(`invalid coffee event: ${result.problems.join('; ')}`);
        return;
      }
      const event = result.value;
      const detail = event.outcome === 'captured' ? `photo ${event.photoKey}` : (event.reason ?? '');
      write(`☕ coffee ${event.outcome} (${event.trigger}) on ${event.deviceId}: ${detail}`);
    });
  }

  async stop(): Promise<void> {
    for (const { topic, handler } of this.handlers.splice(0)) {
      await new Promise<void>((resolve) => this.options.aedes.unsubscribe(topic, handler, () => resolve()));
    }
  }

  private subscribe(topic: string, onMessage: (payload: Buffer, topic: string) => void): Promise<void> {
    const handler: Parameters<Aedes['subscribe']>[1] = (packet, callback) => {
      onMessage(Buffer.from(packet.payload), packet.topic);
      callback();
    };
    this.handlers.push({ topic, handler });
    return new Promise((resolve) => this.options.aedes.subscribe(topic, handler, () => resolve()));
  }
}
