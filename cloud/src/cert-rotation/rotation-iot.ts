/** IoT certificate statuses (DescribeCertificate), those rotation reads. */
export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_ACTIVATION' | (string & {});

export interface CertificateInfo {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly status: CertificateStatus;
}

/**
 * What certificate rotation needs of the IoT control plane. Only the adapter
 * (aws-rotation-iot.ts) imports the SDK; tests use the same scenarios on moto and in memory.
 */
export interface RotationIot {
  /** null when no certificate has this id. */
  describeCertificate(certificateId: string): Promise<CertificateInfo | null>;
  /** The things a certificate is attached to (ListPrincipalThings). */
  thingsOf(certificateArn: string): Promise<string[]>;
  /** The policies attached to a certificate (ListAttachedPolicies). */
  policiesOf(certificateArn: string): Promise<string[]>;
  /** The principals (certificate ARNs, perhaps others) attached to a thing (ListThingPrincipals). */
  principalsOf(thing: string): Promise<string[]>;
  attachPolicy(policyName: string, certificateArn: string): Promise<void>;
  attachThing(thing: string, certificateArn: string): Promise<void>;
  setStatus(certificateId: string, status: 'ACTIVE' | 'INACTIVE'): Promise<void>;
  detachThing(thing: string, certificateArn: string): Promise<void>;
  detachPolicy(policyName: string, certificateArn: string): Promise<void>;
}

/** The certificate id at the end of a certificate ARN (`arn:…:iot:…:cert/{id}`), else null. */
export function certificateIdOfArn(arn: string): string | null {
  const match = /:cert\/([0-9a-f]{64})$/.exec(arn);
  return match?.[1] ?? null;
}
