import { describe, expect, it } from 'vitest';
import { isCertificateReportTopic } from './certificate-report.js';
import { deviceMay, deviceTopicGrants, policyPatternMatches } from './device-topics.js';
import { TopicError } from './errors.js';

describe('deviceTopicGrants', () => {
  it('grants its own topics, its own config shadow and jobs, and CreateCertificateFromCsr; nothing else', () => {
    const own = 'dt/coffee-iot/coffee-pi-1/*';
    const shadow = '$aws/things/coffee-pi-1/shadow/name/config';
    const jobs = '$aws/things/coffee-pi-1/jobs/*';
    const csr = '$aws/certificates/create-from-csr/json';
    const answers = [`${shadow}/get/*`, `${shadow}/update/*`, jobs, `${csr}/*`];
    expect(deviceTopicGrants('dt/coffee-iot', 'coffee-pi-1')).toEqual({
      publish: [own, `${shadow}/get`, `${shadow}/update`, jobs, csr],
      subscribe: [own, ...answers],
      receive: [own, ...answers],
    });
  });

  it('takes the IoT policy variable in place of a thing name, for the policy itself', () => {
    const variable = `\${iot:Connection.Thing.ThingName}`;
    const publish = deviceTopicGrants('dt/coffee-iot', variable).publish;
    expect(publish[0]).toBe(`dt/coffee-iot/${variable}/*`);
    expect(publish[1]).toBe(`$aws/things/${variable}/shadow/name/config/get`);
  });

  it.each([
    ['dt/coffee-iot', 'coffee-pi-*', /thing/],
    ['dt/coffee-iot', 'a/b', /thing/],
    ['dt/coffee-iot', '#', /thing/],
    ['dt/coffee-iot', `\${a}\${b}`, /thing/],
    ['dt/*', 'coffee-pi-1', /policy wildcards/],
    ['dt/?', 'coffee-pi-1', /policy wildcards/],
    ['dt/+', 'coffee-pi-1', /wildcards/],
  ])('refuses prefix %j with thing %j: its grants would reach other devices', (prefix, thing, reason) => {
    expect(() => deviceTopicGrants(prefix, thing)).toThrow(TopicError);
    expect(() => deviceTopicGrants(prefix, thing)).toThrow(reason);
  });
});

describe('policyPatternMatches (IoT policy wildcards)', () => {
  it.each([
    ['a/*', 'a/', true],
    ['a/*', 'a/b/c', true],
    ['a/*', 'a', false],
    ['a/*', 'b/a/x', false],
    ['a/?/c', 'a/b/c', true],
    ['a/?/c', 'a/bb/c', false],
    ['*/x', 'a/b/x', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYc!', false],
    ['exact', 'exact', true],
    ['exact', 'exac', false],
  ])('%j against %j → %s', (pattern, value, expected) => {
    expect(policyPatternMatches(pattern, value)).toBe(expected);
  });
});

describe('deviceMay', () => {
  const grants = deviceTopicGrants('dt/coffee-iot', 'coffee-pi-1');

  it.each([
    ['dt/coffee-iot/coffee-pi-1/telemetry', true],
    ['dt/coffee-iot/coffee-pi-1/#', true],
    ['dt/coffee-iot/coffee-pi-1/+', true],
    ['#', false],
    ['+/coffee-iot/coffee-pi-1/telemetry', false],
    ['dt/coffee-iot/+/telemetry', false],
    ['dt/coffee-iot/#', false],
    ['dt/coffee-iot/coffee-pi-2/telemetry', false],
    ['dt/coffee-iot/coffee-pi-10/telemetry', false],
    ['dt/coffee-iot/coffee-pi-1', false],
    ['$aws/things/coffee-pi-1/shadow/update', false],
    ['$aws/things/coffee-pi-1/shadow/name/config/update/delta', true],
    ['$aws/things/coffee-pi-1/shadow/name/config/get/+', true],
    ['$aws/things/coffee-pi-1/shadow/name/other/update/delta', false],
    ['$aws/things/coffee-pi-2/shadow/name/config/update/delta', false],
    ['$aws/things/coffee-pi-1/jobs/notify-next', true],
    ['$aws/things/coffee-pi-2/jobs/notify-next', false],
    ['$aws/things/+/jobs/notify-next', false],
    ['$aws/certificates/create-from-csr/json/accepted', true],
    ['$aws/provisioning-templates/coffee-iot/provision/json/accepted', false],
    ['$SYS/#', false],
  ])('subscribe %j → %s', (filter, expected) => {
    expect(deviceMay(grants, 'subscribe', filter)).toBe(expected);
  });

  it('lets a device publish and receive on its own topics only', () => {
    expect(deviceMay(grants, 'publish', 'dt/coffee-iot/coffee-pi-1/coffee')).toBe(true);
    expect(deviceMay(grants, 'publish', 'dt/coffee-iot/coffee-pi-2/coffee')).toBe(false);
    expect(deviceMay(grants, 'receive', 'dt/coffee-iot/coffee-pi-1/health')).toBe(true);
    expect(deviceMay(grants, 'receive', 'dt/coffee-iot/coffee-pi-2/health')).toBe(false);
  });
});

describe('isCertificateReportTopic', () => {
  it.each([
    ['dt/coffee-iot/coffee-pi-1/certificate', true],
    ['dt/coffee-iot/coffee-pi-1/telemetry', false],
    ['dt/coffee-iot/coffee-pi-1/certificate/accepted', false],
    ['dt/other/coffee-pi-1/certificate', false],
    ['dt/coffee-iot/certificate', false],
  ])('%s → %s', (topic, expected) => {
    expect(isCertificateReportTopic(topic, 'dt/coffee-iot')).toBe(expected);
  });
});
