import { describe, expect, it } from 'vitest';
import { CertificateReportError, parseCertificateReport } from './certificate-report.js';

const NEW = 'a'.repeat(64);
const OLD = 'b'.repeat(64);
const valid = {
  deviceId: 'coffee-pi-1',
  thing: 'coffee-pi-1',
  phase: 'issued',
  certificateId: NEW,
  principal: OLD,
};

describe('parseCertificateReport', () => {
  it('reads what the topic rule hands over: the topic’s thing, the phase, the named and the sending certificate', () => {
    expect(parseCertificateReport({ ...valid, deviceId: 'coffee-pi-1' })).toEqual(
      parseCertificateReport(valid),
    );
    expect(parseCertificateReport({ ...valid, extra: 1 })).toEqual({
      thing: 'coffee-pi-1',
      phase: 'issued',
      certificateId: NEW,
      principal: OLD,
    });
  });

  it('refuses a deviceId that is not the topic’s thing, and names every problem at once', () => {
    let error: unknown;
    try {
      parseCertificateReport({
        ...valid,
        deviceId: 'coffee-pi-2',
        phase: 'revoked',
        certificateId: 'X',
        principal: undefined,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CertificateReportError);
    expect((error as CertificateReportError).problems).toHaveLength(4);
  });

  it.each([null, 'text', 42, []])('refuses a payload that is not an object (%j)', (event) => {
    expect(() => parseCertificateReport(event)).toThrow(CertificateReportError);
  });

  it('refuses a principal that is not a certificate id (a Cognito identity, say)', () => {
    expect(() => parseCertificateReport({ ...valid, principal: 'eu-west-1:1234-abcd' })).toThrow(/principal/);
  });
});
