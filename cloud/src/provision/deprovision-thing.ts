import {
  type IoTClient,
  paginateListAttachedPolicies,
  paginateListPrincipalThings,
  paginateListThingPrincipals,
} from '@aws-sdk/client-iot';
import { THING_NAME_PATTERN } from '@coffee-iot/shared';
import { isAwsError } from './aws-errors.js';
import {
  certificateIdOf,
  deactivateAndDeleteCertificate,
  deleteCertificateByHand,
  deleteThing,
  deleteThingByHand,
  detachCertificateFromThing,
  detachPolicy,
  detachPolicyByHand,
  type Sleep,
  sleep,
} from './iot-cleanup.js';
import { DeprovisionError, InvalidProvisionOptionsError, ThingNotFoundError } from './provision-errors.js';

export interface DeprovisionDeps {
  iot: IoTClient;
  /** Waits between retries while a detachment propagates (default: a timer). */
  sleep?: Sleep;
}

export interface DeprovisionOptions {
  thingName: string;
  /** The region the client talks to, for messages and the by-hand commands. */
  region: string;
}

export interface CertificateOutcome {
  certificateId: string;
  certificateArn: string;
  /** The policies detached from it before it was deleted. */
  detachedPolicies: string[];
  /** Deleted; false when another thing still uses it (then it is only detached from this one). */
  deleted: boolean;
  /** The other things it is attached to, when it was kept. */
  sharedWith: string[];
}

export interface DeprovisionReport {
  thingName: string;
  region: string;
  certificates: CertificateOutcome[];
  /** Principals other than certificates (Cognito identities), detached but otherwise left alone. */
  otherPrincipals: string[];
}

async function thingPrincipals(iot: IoTClient, thingName: string, region: string): Promise<string[]> {
  const principals: string[] = [];
  try {
    for await (const page of paginateListThingPrincipals({ client: iot }, { thingName })) {
      principals.push(...(page.principals ?? []));
    }
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException'))
      throw new ThingNotFoundError(thingName, region, { cause: error });
    throw error;
  }
  return principals;
}

async function otherThingsOf(iot: IoTClient, principal: string, thingName: string): Promise<string[]> {
  const things: string[] = [];
  for await (const page of paginateListPrincipalThings({ client: iot }, { principal })) {
    things.push(...(page.things ?? []).filter((thing) => thing !== thingName));
  }
  return things;
}

async function attachedPolicies(iot: IoTClient, certificateArn: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListAttachedPolicies({ client: iot }, { target: certificateArn })) {
    for (const policy of page.policies ?? []) if (policy.policyName) names.push(policy.policyName);
  }
  return names;
}

/**
 * Takes a device out of AWS IoT: for each certificate attached to the thing, DetachThingPrincipal,
 * then (unless another thing still uses it, when it is kept) ListAttachedPolicies → DetachPolicy
 * for each, UpdateCertificate INACTIVE and DeleteCertificate; other principals are only detached.
 * Then DeleteThing. Deletions wait for the detachment to propagate (iot-cleanup.ts).
 *
 * Throws ThingNotFoundError for an unknown thing (nothing changed), or DeprovisionError naming
 * the failed step, what was done and what is left to do by hand.
 */
export async function deprovisionThing(
  deps: DeprovisionDeps,
  options: DeprovisionOptions,
): Promise<DeprovisionReport> {
  const { iot } = deps;
  const { thingName, region } = options;
  const wait = deps.sleep ?? sleep;
  if (!THING_NAME_PATTERN.test(thingName)) {
    throw new InvalidProvisionOptionsError([
      `thing name "${thingName}" must be 1-128 letters, digits, colons, underscores or hyphens`,
    ]);
  }
  const principals = await thingPrincipals(iot, thingName, region);

  const report: DeprovisionReport = { thingName, region, certificates: [], otherPrincipals: [] };
  const done: string[] = [];
  const rerun = `coffee-iot deprovision ${thingName} --region ${region}`;
  // What is left when the current step fails: by-hand commands for the certificate in hand (no
  // longer found through the thing once detached), then a rerun for the rest.
  let stepDescription = '';
  let leftForCertificate: () => string[] = () => [];
  const step = async (description: string, action: () => Promise<void>): Promise<void> => {
    stepDescription = description;
    await action();
    done.push(description);
  };
  const read = <T>(description: string, action: () => Promise<T>): Promise<T> => {
    stepDescription = description;
    return action();
  };

  try {
    for (const principal of principals) {
      const certificateId = certificateIdOf(principal);
      leftForCertificate = () => [];
      await step(
        `detach ${certificateId === undefined ? principal : `certificate ${certificateId}`} from thing ${thingName}`,
        () => detachCertificateFromThing(iot, thingName, principal),
      );
      if (certificateId === undefined) {
        report.otherPrincipals.push(principal);
        continue;
      }
      let sharedKnown = false;
      let policies: string[] | undefined;
      const detached: string[] = [];
      leftForCertificate = () => [
        ...(sharedKnown
          ? []
          : [
              `if no other thing uses certificate ${certificateId} (aws iot list-principal-things --principal ${principal} --region ${region}):`,
            ]),
        ...(policies === undefined
          ? [
              `aws iot list-attached-policies --target ${principal} --region ${region}, then detach each policy`,
            ]
          : policies
              .filter((policy) => !detached.includes(policy))
              .map((policy) => detachPolicyByHand(region, policy, principal))),
        deleteCertificateByHand(region, certificateId),
      ];

      const sharedWith = await read(`list the other things of certificate ${certificateId}`, () =>
        otherThingsOf(iot, principal, thingName),
      );
      sharedKnown = true;
      if (sharedWith.length > 0) {
        report.certificates.push({
          certificateId,
          certificateArn: principal,
          detachedPolicies: [],
          deleted: false,
          sharedWith,
        });
        continue;
      }
      policies = await read(`list the policies of certificate ${certificateId}`, () =>
        attachedPolicies(iot, principal),
      );
      for (const policy of policies) {
        await step(`detach policy ${policy} from certificate ${certificateId}`, () =>
          detachPolicy(iot, policy, principal),
        );
        detached.push(policy);
      }
      await step(`deactivate and delete certificate ${certificateId}`, () =>
        deactivateAndDeleteCertificate(iot, certificateId, wait),
      );
      leftForCertificate = () => [];
      report.certificates.push({
        certificateId,
        certificateArn: principal,
        detachedPolicies: policies,
        deleted: true,
        sharedWith: [],
      });
    }
    await step(`delete thing ${thingName}`, () => deleteThing(iot, thingName, wait));
  } catch (error) {
    const byHand = leftForCertificate();
    const deletingThing = stepDescription === `delete thing ${thingName}`;
    const finish = deletingThing ? deleteThingByHand(region, thingName) : rerun;
    const remaining = byHand.length === 0 ? [finish] : [...byHand, `then: ${finish}`];
    throw new DeprovisionError(thingName, stepDescription, done, remaining, { cause: error });
  }
  return report;
}
