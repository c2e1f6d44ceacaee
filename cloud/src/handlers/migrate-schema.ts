import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse, Context } from 'aws-lambda';
import { openLambdaDatabase } from '../db/lambda-database.js';
import { timerSleep, wakeDatabase } from '../db/while-resuming.js';
import { handleSchemaResourceEvent, type SchemaResourceData } from '../db-deploy/schema-resource.js';
import { readSchemaResourceConfig } from '../db-deploy/schema-resource-config.js';
import { createCloudLogger } from '../logging/logger.js';

const logger = createCloudLogger('coffee-iot-migrate-schema');
// Checked when the container starts, like the photo handler: a misconfigured deploy fails at once,
// naming every bad variable.
const config = readSchemaResourceConfig(process.env);
const secrets = new SecretsManagerClient({});
// Left for the migrations themselves after waiting for a paused cluster to wake.
const MIGRATION_RESERVE_MS = 60_000;

/** CDK Provider onEvent for the database schema: Create/Update migrate, Delete keeps the data. */
export async function handler(
  event: CdkCustomResourceEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<CdkCustomResourceResponse<SchemaResourceData>> {
  const deadline = Date.now() + context.getRemainingTimeInMillis() - MIGRATION_RESERVE_MS;
  const { response, applied } = await handleSchemaResourceEvent(event, async () => {
    const database = await openLambdaDatabase(config, secrets);
    // An auto-paused cluster (small profile) refuses until it has resumed: wake it before the
    // migrator starts, so a deploy does not fail on a sleeping database.
    await wakeDatabase(database, { deadline, now: Date.now, sleep: timerSleep, logger }).catch(
      async (error: unknown) => {
        await database.close();
        throw error;
      },
    );
    return database;
  });
  logger.info(
    {
      requestType: event.RequestType,
      requestId: event.RequestId,
      applied,
      version: response.Data?.Version ?? null,
    },
    'schema resource event handled',
  );
  return response;
}
