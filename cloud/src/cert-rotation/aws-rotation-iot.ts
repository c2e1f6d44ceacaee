import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { CertificateInfo, RotationIot } from './rotation-iot.js';

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}

/** Every page of a paginated IoT list, through the token each answer names. */
async function allPages<T>(
  page: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
) {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await page(token);
    items.push(...answer.items);
    token = answer.next;
  } while (token !== undefined && token !== '');
  return items;
}

/** The rotation port on the IoT control plane. */
export function awsRotationIot(client: IoTClient): RotationIot {
  return {
    async describeCertificate(certificateId): Promise<CertificateInfo | null> {
      try {
        const { certificateDescription: d } = await client.send(
          new DescribeCertificateCommand({ certificateId }),
        );
        if (d?.certificateArn === undefined || d.status === undefined) return null;
        return { certificateId, certificateArn: d.certificateArn, status: d.status };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    thingsOf: (principal) =>
      allPages(async (nextToken) => {
        const answer = await client.send(new ListPrincipalThingsCommand({ principal, nextToken }));
        return { items: answer.things ?? [], next: answer.nextToken };
      }),

    policiesOf: (target) =>
      allPages(async (marker) => {
        const answer = await client.send(new ListAttachedPoliciesCommand({ target, marker }));
        const names = (answer.policies ?? []).flatMap((p) =>
          p.policyName === undefined ? [] : [p.policyName],
        );
        return { items: names, next: answer.nextMarker };
      }),

    principalsOf: (thingName) =>
      allPages(async (nextToken) => {
        const answer = await client.send(new ListThingPrincipalsCommand({ thingName, nextToken }));
        return { items: answer.principals ?? [], next: answer.nextToken };
      }),

    async attachPolicy(policyName, target) {
      await client.send(new AttachPolicyCommand({ policyName, target }));
    },
    async attachThing(thingName, principal) {
      await client.send(new AttachThingPrincipalCommand({ thingName, principal }));
    },
    async setStatus(certificateId, newStatus) {
      await client.send(new UpdateCertificateCommand({ certificateId, newStatus }));
    },
    async detachThing(thingName, principal) {
      await client.send(new DetachThingPrincipalCommand({ thingName, principal }));
    },
    async detachPolicy(policyName, target) {
      await client.send(new DetachPolicyCommand({ policyName, target }));
    },
  };
}
