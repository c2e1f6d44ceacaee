/** What the preflight needs of an AWS SDK v3 client: its resolved configuration. */
export interface AwsClientConfig {
  config: {
    region: () => Promise<string>;
    credentials: () => Promise<{ accessKeyId: string }>;
  };
}

export class AwsAccessError extends Error {
  override readonly name = 'AwsAccessError';
}

/**
 * `--aws` without a region or credentials would only fail at the first photo (retried, then
 * dead-lettered): check both at start and say how to provide them.
 */
export async function checkAwsAccess(client: AwsClientConfig): Promise<string> {
  let region: string;
  try {
    region = await client.config.region();
  } catch (error) {
    throw new AwsAccessError(
      '--aws needs an AWS region: set AWS_REGION (or a region in ~/.aws/config, AWS_PROFILE)',
      { cause: error },
    );
  }
  try {
    await client.config.credentials();
  } catch (error) {
    throw new AwsAccessError(
      `--aws needs AWS credentials allowed to call rekognition:DetectFaces in ${region}: ` +
        'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or `aws sso login`',
      { cause: error },
    );
  }
  return region;
}
