import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import type { PreProvisioningHookEvent } from '@coffee-iot/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

/*
 * The hook Lambda's handler as Lambda runs it (small profile: the RDS Data API), with the Data API
 * answering in the API reference's shapes. The allow-list's SQL itself runs on SQLite, MariaDB
 * and the Data API in test/src/fleet-provisioning/.
 */
const rdsData = mockClient(RDSDataClient);
const SERIAL = '10000000a1b2c3d4';
const event: PreProvisioningHookEvent = {
  claimCertificateId: 'c'.repeat(64),
  certificateId: 'a'.repeat(64),
  certificatePem: '-----BEGIN CERTIFICATE-----',
  templateArn: 'arn:aws:iot:eu-west-1:123456789012:provisioningtemplate/coffee-iot-fleet',
  clientId: SERIAL,
  parameters: { SerialNumber: SERIAL },
};

let handler: (event: PreProvisioningHookEvent) => Promise<{ allowProvisioning: boolean }>;

beforeAll(async () => {
  vi.stubEnv('DATABASE_MODE', 'data-api');
  vi.stubEnv('DB_CLUSTER_ARN', 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee-iot');
  vi.stubEnv('DB_SECRET_ARN', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coffee-db-AbCdEf');
  vi.stubEnv('DB_NAME', 'coffee_iot');
  vi.stubEnv('LOG_LEVEL', 'silent');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  ({ handler } = await import('../handlers/pre-provisioning-hook.js'));
});

afterAll(() => {
  vi.unstubAllEnvs();
  rdsData.restore();
});

beforeEach(() => rdsData.reset());

describe('pre-provisioning hook handler', () => {
  it('allows a listed, unused serial: one UPDATE claims it', async () => {
    rdsData.on(ExecuteStatementCommand).resolves({ numberOfRecordsUpdated: 1, records: [] });
    expect(await handler(event)).toEqual({ allowProvisioning: true });
    const statements = rdsData.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input.sql);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(
      /^update `provisioning_serials` set .* where `serial` = :\w+ and `certificate_id` is null$/,
    );
  });

  it('refuses a serial whose row another certificate holds', async () => {
    rdsData
      .on(ExecuteStatementCommand)
      .resolvesOnce({ numberOfRecordsUpdated: 0, records: [] })
      .resolves({
        numberOfRecordsUpdated: 0,
        columnMetadata: [{ name: 'certificate_id', label: 'certificate_id', typeName: 'CHAR', type: 1 }],
        records: [[{ stringValue: 'd'.repeat(64) }]],
      });
    expect(await handler(event)).toEqual({ allowProvisioning: false });
    // The UPDATE matched nothing, so the row is read to tell "not listed" from "used".
    const statements = rdsData.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input.sql);
    expect(statements[1]).toMatch(
      /^select `certificate_id` from `provisioning_serials` where `serial` = :\w+$/,
    );
  });

  it('refuses, without throwing, while the cluster resumes from auto-pause', async () => {
    const resuming = Object.assign(new Error('The Aurora DB instance is resuming after being auto-paused.'), {
      name: 'DatabaseResumingException',
    });
    rdsData.on(ExecuteStatementCommand).rejects(resuming);
    expect(await handler(event)).toEqual({ allowProvisioning: false });
  });

  it('refuses a malformed serial without touching the database', async () => {
    expect(await handler({ ...event, parameters: { SerialNumber: '../x' } })).toEqual({
      allowProvisioning: false,
    });
    expect(rdsData.calls()).toHaveLength(0);
  });
});
