import { describe, expect, it } from 'vitest';
import { AwsAccessError, checkAwsAccess } from './aws-preflight.js';

const ok = { region: async () => 'eu-west-1', credentials: async () => ({ accessKeyId: 'AKIAEXAMPLE' }) };
const missing = (what: string) => async () => {
  throw new Error(`${what} is missing`);
};

describe('--aws preflight', () => {
  it('returns the region when region and credentials resolve', async () => {
    await expect(checkAwsAccess({ config: ok })).resolves.toBe('eu-west-1');
  });

  it('names the missing region and how to set it', async () => {
    const error = await checkAwsAccess({ config: { ...ok, region: missing('Region') } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AwsAccessError);
    expect((error as Error).message).toMatch(/region.*AWS_REGION/);
  });

  it('names missing credentials, the permission needed and the region', async () => {
    const error = await checkAwsAccess({ config: { ...ok, credentials: missing('Credential') } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AwsAccessError);
    expect((error as Error).message).toContain('rekognition:DetectFaces in eu-west-1');
  });
});
