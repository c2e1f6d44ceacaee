/**
 * AWS SDK v3 errors carry the service's error code as `name` (ResourceNotFoundException,
 * ValidationError …). Matching on the name, not the class, also covers errors the SDK did not
 * model (CloudFormation's ValidationError arrives as a CloudFormationServiceException).
 */
export function isAwsError(error: unknown, ...names: readonly string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/** "Name: message" for a named error, the message alone for a plain Error. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}
