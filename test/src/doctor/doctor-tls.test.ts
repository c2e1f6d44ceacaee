import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTlsHandshake } from '../../../device/src/doctor/checks/endpoint.js';
import { nodeDoctorFs, tlsConnector } from '../../../device/src/doctor/node-doctor-ports.js';
import { MosquittoBroker } from '../harness/mosquitto.js';
import { clientFiles } from '../harness/test-pki.js';

const THING = 'coffee-pi-doctor';
/** Long enough for mosquitto's rejection of a TLS 1.3 client certificate to arrive on loopback. */
const SETTLE_MS = 300;

describe('doctor TLS handshake against a real mosquitto with mutual TLS', () => {
  let broker: MosquittoBroker;
  const connect = tlsConnector(SETTLE_MS, 5000);

  beforeAll(async () => {
    broker = await MosquittoBroker.create({ thingNames: [THING] });
    await broker.start();
  });
  afterAll(async () => {
    await broker?.cleanup();
  });

  const target = (files: { certPath: string; keyPath: string }, rootCa: string) => ({
    endpoint: broker.host,
    port: broker.port,
    cert: files.certPath,
    key: files.keyPath,
    rootCa,
  });

  it('succeeds with the certificate the broker trusts, and connects no MQTT client', async () => {
    const files = clientFiles(broker.pki.trusted.clients, THING);
    const result = await checkTlsHandshake(nodeDoctorFs, connect, target(files, broker.pki.trusted.caPath));
    expect(result).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^TLSv1\.[23] with the client certificate/),
    });
    expect(broker.connectionsFrom(THING)).toBe(0);
  });

  it('fails, saying the certificate was rejected, with a client certificate from another CA', async () => {
    const files = clientFiles(broker.pki.foreign.clients, THING);
    const result = await checkTlsHandshake(nodeDoctorFs, connect, target(files, broker.pki.trusted.caPath));
    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/rejected the client certificate \(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\)/);
    expect(result.fix).toMatch(/register and activate/);
  });

  it('fails, naming rootCa, when the broker certificate is not signed by the configured CA', async () => {
    const files = clientFiles(broker.pki.trusted.clients, THING);
    const result = await checkTlsHandshake(nodeDoctorFs, connect, target(files, broker.pki.foreign.caPath));
    expect(result).toMatchObject({ status: 'fail', detail: expect.stringMatching(/not signed by/) });
  });
});
