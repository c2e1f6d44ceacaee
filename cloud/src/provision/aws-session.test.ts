import { describe, expect, it } from 'vitest';
import { AwsSetupError, checkAwsSetup } from './aws-session.js';

const ok = {
  region: async () => 'eu-west-1',
  credentials: async () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }),
};
const missing = (what: string) => async () => {
  throw new Error(`${what} is missing`);
};

describe('checkAwsSetup', () => {
  it('returns the region when region and credentials resolve', async () => {
    await expect(checkAwsSetup({ config: ok }, 'create things')).resolves.toBe('eu-west-1');
  });

  it('names a missing region and how to give one', async () => {
    const error = await checkAwsSetup(
      { config: { ...ok, region: missing('Region') } },
      'create things',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsSetupError);
    expect((error as Error).message).toMatch(/no AWS region: give --region, or set AWS_REGION/);
  });

  it('refuses a region the agent could not use', async () => {
    await expect(
      checkAwsSetup({ config: { ...ok, region: async () => 'Ireland' } }, 'create things'),
    ).rejects.toThrow('the AWS region "Ireland" is not a region name such as eu-west-1');
  });

  it('names missing credentials, what they are for and the region', async () => {
    const error = await checkAwsSetup(
      { config: { ...ok, credentials: missing('Credential') } },
      'create things',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsSetupError);
    expect((error as Error).message).toContain('allowed to create things in eu-west-1');
  });
});
