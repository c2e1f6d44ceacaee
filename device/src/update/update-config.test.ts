import { describe, expect, it } from 'vitest';
import { configChecker } from '../config/load-config.js';
import { remoteKeyKind } from '../remote-config/remote-keys.js';

const BASE = {
  thingName: 'coffee-pi-1',
  endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
  cert: '/etc/coffee-iot/certificate.pem.crt',
  key: '/etc/coffee-iot/private.pem.key',
  rootCa: '/etc/coffee-iot/AmazonRootCA1.pem',
};

describe('updatePublicKeyPath in agent.json', () => {
  const configDocumentProblems = configChecker();

  it('takes an absolute path and is optional', () => {
    expect(configDocumentProblems({ ...BASE })).toEqual([]);
    expect(
      configDocumentProblems({ ...BASE, updatePublicKeyPath: '/etc/coffee-iot/update-public-key.pem' }),
    ).toEqual([]);
  });

  it('refuses a relative path, naming the key', () => {
    const problems = configDocumentProblems({ ...BASE, updatePublicKeyPath: 'update-public-key.pem' });
    expect(problems.join('\n')).toContain('updatePublicKeyPath');
  });

  it('is never changed by the config shadow or a set-config job: it decides which signer is trusted', () => {
    expect(remoteKeyKind('updatePublicKeyPath')).toMatchObject({ kind: 'refused' });
  });
});
