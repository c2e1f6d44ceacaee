import { describe, expect, it } from 'vitest';
import { claimTopicGrants } from './claim-topics.js';
import { deviceMay } from './device-topics.js';
import { TopicError } from './errors.js';

describe('claimTopicGrants', () => {
  const grants = claimTopicGrants('coffee-iot-fleet');
  const register = '$aws/provisioning-templates/coffee-iot-fleet/provision/json';
  const csr = '$aws/certificates/create-from-csr/json';

  it('allows only the two provisioning requests and their answers', () => {
    expect(grants).toEqual({
      publish: [csr, register],
      subscribe: [`${csr}/*`, `${register}/*`],
      receive: [`${csr}/*`, `${register}/*`],
    });
  });

  it.each([
    ['publish', csr, true],
    ['publish', register, true],
    ['subscribe', `${csr}/accepted`, true],
    ['receive', `${register}/rejected`, true],
    // Another template, a device's data, its shadow or jobs: none of it.
    ['publish', '$aws/provisioning-templates/other/provision/json', false],
    ['subscribe', '$aws/provisioning-templates/other/provision/json/accepted', false],
    ['publish', 'dt/coffee-iot/coffee-pi-1/telemetry', false],
    ['subscribe', '$aws/things/coffee-pi-1/jobs/notify-next', false],
    ['subscribe', '#', false],
    ['subscribe', '$aws/certificates/#', false],
  ] as const)('%s %s → %s', (action, topic, allowed) => {
    expect(deviceMay(grants, action, topic)).toBe(allowed);
  });

  it('refuses a template name that would widen the grants', () => {
    expect(() => claimTopicGrants('fleet*')).toThrow(TopicError);
    expect(() => claimTopicGrants('a/b')).toThrow(TopicError);
  });
});
