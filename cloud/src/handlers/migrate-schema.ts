import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { openLambdaDatabase } from '../db/lambda-database.js';
import { handleSchemaResourceEvent, type SchemaResourceData } from '../db-deploy/schema-resource.js';
import { readSchemaResourceConfig } from '../db-deploy/schema-resource-config.js';
import { createCloudLogger } from '../logging/logger.js';

const logger = createCloudLogger('coffee-iot-migrate-schema');
// Checked when the container starts, like the photo handler: a misconfigured deploy fails at once,
// naming every bad variable.
const config = readSchemaResourceConfig(process.env);
const secrets = new SecretsManagerClient({});

/** CDK Provider onEvent for the database schema: Create/Update migrate, Delete keeps the data. */
export async function handler(
  event: CdkCustomResourceEvent,
): Promise<CdkCustomResourceResponse<SchemaResourceData>> {
  const { response, applied } = await handleSchemaResourceEvent(event, () =>
    openLambdaDatabase(config, secrets),
  );
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
