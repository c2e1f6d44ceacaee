/**
 * Names derived from the stack name, so that two stacks (say CoffeeIot and CoffeeIotStaging) live
 * side by side in one account and region: `cdk deploy -c coffee-iot:stackName=CoffeeIotStaging`.
 */
export const DEFAULT_STACK_NAME = 'CoffeeIot';
export const STACK_NAME_KEY = 'coffee-iot:stackName';

/** CloudFormation's rule for a stack name, kept short enough for the names derived from it. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

export class StackNameError extends Error {
  override readonly name = 'StackNameError';
}

/** The stack name from context (`coffee-iot:stackName`), or CoffeeIot; a bad one is named. */
export function readStackName(value: unknown): string {
  if (value === undefined) return DEFAULT_STACK_NAME;
  if (typeof value !== 'string' || !STACK_NAME.test(value)) {
    throw new StackNameError(
      `${STACK_NAME_KEY} must be a letter then up to 39 letters, digits or hyphens (a CloudFormation stack name short enough for the names made from it), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** `CoffeeIot` → `coffee_iot` (separator `_`) or `coffee-iot` (separator `-`). */
export function stackNameWords(stackName: string, separator: '_' | '-'): string {
  const words = stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  if (words.length === 0) throw new StackNameError(`no name can be made from the stack name "${stackName}"`);
  return words.join(separator);
}

/**
 * The Cognito hosted sign-in domain prefix: unique in a region across all accounts, so the
 * account id is part of it when known at synth, and the stack's name, so two stacks of one
 * account differ: `coffee-iot-123456789012`, `coffee-iot-staging-123456789012`.
 */
export function defaultAuthDomainPrefix(stackName: string, account: string | undefined): string {
  return `${stackNameWords(stackName, '-')}-${account ?? 'dashboard'}`;
}

/** IoT provisioning template names: 1–36 letters, digits, underscores, hyphens. */
const TEMPLATE_NAME_MAX = 36;
const TEMPLATE_SUFFIX = '-fleet';

/**
 * The fleet provisioning template's name, which devices put in their RegisterThing topic:
 * `coffee-iot-fleet` for the default stack (shared DEFAULT_PROVISIONING_TEMPLATE), `coffee-iot-staging-fleet`
 * for CoffeeIotStaging; a long stack name is cut to fit IoT's 36 characters.
 */
export function provisioningTemplateName(stackName: string): string {
  const words = stackNameWords(stackName, '-')
    .slice(0, TEMPLATE_NAME_MAX - TEMPLATE_SUFFIX.length)
    .replace(/-+$/, '');
  return `${words}${TEMPLATE_SUFFIX}`;
}
