import type { PreProvisioningHookEvent, PreProvisioningHookResponse } from '@coffee-iot/shared';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import { openLambdaDatabase } from '../db/lambda-database.js';
import {
  decidePreProvisioning,
  type SerialAllowList,
} from '../fleet-provisioning/pre-provisioning-decision.js';
import { readPreProvisioningHookConfig } from '../fleet-provisioning/pre-provisioning-hook-config.js';
import { createSqlSerialAllowList } from '../fleet-provisioning/sql-serial-allow-list.js';
import { createCloudLogger } from '../logging/logger.js';

const logger = createCloudLogger('coffee-iot-pre-provisioning-hook');
// Checked when the container starts: a misconfigured deploy fails at once, naming every variable.
const config = readPreProvisioningHookConfig(process.env);

// Kept open across invocations: IoT Core allows the hook 5 s, too few to reconnect every time.
let opened: Promise<CoffeeDatabase> | undefined;
function database(): Promise<CoffeeDatabase> {
  opened ??= openLambdaDatabase(config.database, undefined, 1).catch((error: unknown) => {
    opened = undefined; // the next invocation tries again
    throw error;
  });
  return opened;
}

const allowList: SerialAllowList = {
  claim: async (claim) => createSqlSerialAllowList(await database()).claim(claim),
};

/**
 * The fleet provisioning template's pre-provisioning hook: allows RegisterThing only for a
 * well-formed, allow-listed, unused serial number (pre-provisioning-decision.ts). IoT Core tells
 * the device nothing but "refused", so the reason is logged here, with the serial and certificate.
 */
export async function handler(event: PreProvisioningHookEvent): Promise<PreProvisioningHookResponse> {
  const decision = await decidePreProvisioning(event, allowList);
  const fields = {
    outcome: decision.outcome,
    serial: decision.serial,
    certificateId: event?.certificateId,
    claimCertificateId: event?.claimCertificateId,
    clientId: event?.clientId,
  };
  if (decision.response.allowProvisioning) logger.info(fields, decision.reason);
  else logger.warn(fields, decision.reason);
  return decision.response;
}
