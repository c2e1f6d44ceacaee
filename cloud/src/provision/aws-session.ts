/** What the check needs of an AWS SDK v3 client: its resolved configuration. */
export interface AwsClientConfig {
  config: {
    region: () => Promise<string>;
    credentials: () => Promise<{ accessKeyId: string }>;
  };
}

/** No region or no credentials: the message says how to provide them. */
export class AwsSetupError extends Error {
  override readonly name = 'AwsSetupError';
}

/** The AWS region as the agent's configuration accepts it (upload.region): eu-west-1, us-gov-west-1. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * The client's region, once its region and credentials resolve: checked before anything else, so
 * a missing one is named up front instead of surfacing as the first call's failure. `purpose`
 * names what the credentials must be allowed to do.
 */
export async function checkAwsSetup(client: AwsClientConfig, purpose: string): Promise<string> {
  let region: string;
  try {
    region = await client.config.region();
  } catch (error) {
    throw new AwsSetupError(
      'no AWS region: give --region, or set AWS_REGION (or a region in ~/.aws/config with AWS_PROFILE)',
      { cause: error },
    );
  }
  if (!AWS_REGION_PATTERN.test(region)) {
    throw new AwsSetupError(`the AWS region "${region}" is not a region name such as eu-west-1`);
  }
  try {
    await client.config.credentials();
  } catch (error) {
    throw new AwsSetupError(
      `no AWS credentials (they must be allowed to ${purpose} in ${region}): set AWS_PROFILE, ` +
        'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`',
      { cause: error },
    );
  }
  return region;
}
