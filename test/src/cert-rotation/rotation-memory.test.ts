import { MemoryRotationIot } from '../../../cloud/src/cert-rotation/memory-rotation-iot.js';
import { describeCertificateRotation } from './rotation-contract.js';

describeCertificateRotation('the in-memory IoT', async () => {
  const iot = new MemoryRotationIot();
  return {
    iot,
    createThing: async (name) => iot.createThing(name),
    createPolicy: async (name) => iot.createPolicy(name),
    createCertificate: async (status) => iot.createCertificate(status),
    cleanup: async () => {},
  };
});
