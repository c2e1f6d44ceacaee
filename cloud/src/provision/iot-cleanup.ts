import {
  DeleteCertificateCommand,
  DeleteThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { isAwsError } from './aws-errors.js';

/*
 * The IoT calls that take a device apart, shared by the provisioning rollback and `deprovision`,
 * each with the AWS CLI command that does the same by hand (for what could not be undone).
 */

export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * DetachThingPrincipal is asynchronous: "It might take several seconds for the detachment to
 * propagate" (IoT API reference). Until it has, DeleteCertificate answers DeleteConflictException
 * and DeleteThing answers InvalidRequestException "Cannot delete. Thing … is still attached to one
 * or more principals". Those two are retried after these delays (15 s in all), nothing else is.
 */
export const DETACH_PROPAGATION_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000];

async function retryWhileStillAttached(
  action: () => Promise<unknown>,
  stillAttached: (error: unknown) => boolean,
  wait: Sleep,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await action();
      return;
    } catch (error) {
      const delay = DETACH_PROPAGATION_DELAYS_MS[attempt];
      if (delay === undefined || !stillAttached(error)) throw error;
      await wait(delay);
    }
  }
}

/** The certificate id in a certificate ARN (arn:aws:iot:REGION:ACCOUNT:cert/ID), or undefined. */
export function certificateIdOf(principal: string): string | undefined {
  return /^arn:[^:]+:iot:[^:]*:[^:]*:cert\/([0-9a-fA-F]+)$/.exec(principal)?.[1];
}

const cli = (region: string, command: string) => `aws iot ${command} --region ${region}`;

export async function detachCertificateFromThing(
  iot: IoTClient,
  thingName: string,
  certificateArn: string,
): Promise<void> {
  await iot.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn }));
}

export function detachCertificateByHand(region: string, thingName: string, certificateArn: string): string {
  return cli(region, `detach-thing-principal --thing-name ${thingName} --principal ${certificateArn}`);
}

export async function detachPolicy(
  iot: IoTClient,
  policyName: string,
  certificateArn: string,
): Promise<void> {
  await iot.send(new DetachPolicyCommand({ policyName, target: certificateArn }));
}

export function detachPolicyByHand(region: string, policyName: string, certificateArn: string): string {
  return cli(region, `detach-policy --policy-name ${policyName} --target ${certificateArn}`);
}

/** UpdateCertificate INACTIVE (an ACTIVE certificate cannot be deleted), then DeleteCertificate. */
export async function deactivateAndDeleteCertificate(
  iot: IoTClient,
  certificateId: string,
  wait: Sleep,
): Promise<void> {
  await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
  await retryWhileStillAttached(
    () => iot.send(new DeleteCertificateCommand({ certificateId })),
    (error) => isAwsError(error, 'DeleteConflictException'),
    wait,
  );
}

export function deleteCertificateByHand(region: string, certificateId: string): string {
  return (
    `${cli(region, `update-certificate --certificate-id ${certificateId} --new-status INACTIVE`)} && ` +
    cli(region, `delete-certificate --certificate-id ${certificateId}`)
  );
}

export async function deleteThing(iot: IoTClient, thingName: string, wait: Sleep): Promise<void> {
  await retryWhileStillAttached(
    () => iot.send(new DeleteThingCommand({ thingName })),
    (error) =>
      isAwsError(error, 'InvalidRequestException') && /still attached/i.test((error as Error).message),
    wait,
  );
}

export function deleteThingByHand(region: string, thingName: string): string {
  return cli(region, `delete-thing --thing-name ${thingName}`);
}
