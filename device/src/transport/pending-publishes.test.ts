import { describe, expect, it } from 'vitest';
import { PendingPublishes } from './pending-publishes.js';
import { MqttPublishError } from './transport-port.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const wrap = (error: unknown) => new MqttPublishError('publish failed', { cause: error });

describe('PendingPublishes', () => {
  it('resolves when the PUBACK arrives', async () => {
    const pending = new PendingPublishes();
    const puback = deferred();
    const publish = pending.track(puback.promise, wrap);

    puback.resolve();

    await expect(publish).resolves.toBeUndefined();
    expect(pending.size).toBe(0);
  });

  it('rejects every pending publish at once when the connection goes, without waiting for the library', async () => {
    const pending = new PendingPublishes();
    const first = pending.track(deferred().promise, wrap);
    const second = pending.track(deferred().promise, wrap);
    const lost = new MqttPublishError('connection lost before PUBACK');

    pending.rejectAll(lost);

    await expect(first).rejects.toBe(lost);
    await expect(second).rejects.toBe(lost);
    expect(pending.size).toBe(0);
  });

  it('wraps a failure reported by the client library', async () => {
    const pending = new PendingPublishes();
    const puback = deferred();
    const publish = pending.track(puback.promise, wrap);

    puback.reject('Failed to publish: AWS_ERROR_MQTT_TIMEOUT');

    await expect(publish).rejects.toMatchObject({
      name: 'MqttPublishError',
      cause: 'Failed to publish: AWS_ERROR_MQTT_TIMEOUT',
    });
  });

  it('ignores a late PUBACK for a publish it already rejected', async () => {
    const pending = new PendingPublishes();
    const puback = deferred();
    const publish = pending.track(puback.promise, wrap);
    const lost = new MqttPublishError('connection lost before PUBACK');

    pending.rejectAll(lost);
    puback.resolve();

    await expect(publish).rejects.toBe(lost);
  });
});
