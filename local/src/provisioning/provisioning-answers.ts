import type { ProvisioningErrorResponse } from '@coffee-iot/shared';

/** A `rejected` answer of the provisioning API, in AWS's shape. */
export class ProvisioningRefusal extends Error {
  override readonly name = 'ProvisioningRefusal';
  constructor(
    readonly statusCode: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }

  toResponse(): ProvisioningErrorResponse {
    return { statusCode: this.statusCode, errorCode: this.errorCode, errorMessage: this.message };
  }
}

/** The request's JSON object; a ProvisioningRefusal (400 InvalidPayload) for anything else. */
export function requestObject(payload: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ProvisioningRefusal(400, 'InvalidPayload', 'the request is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProvisioningRefusal(400, 'InvalidPayload', 'the request must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
