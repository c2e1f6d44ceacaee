import { S3Client } from '@aws-sdk/client-s3';
import { createDeviceRepository } from '../db/device-repository.js';
import { openLambdaDatabase } from '../db/lambda-database.js';
import { createCoffeeRepository } from '../db/sql-coffee-repository.js';
import type { Logger } from '../logging/logger.js';
import type { DashboardApiConfig } from './dashboard-api-config.js';
import type { DashboardApiDeps } from './handle-request.js';
import { createS3PhotoLinks } from './s3-photo-links.js';

/**
 * Wires the dashboard API to AWS: Aurora through RDS Proxy exactly as the photo pipeline connects
 * (credentials from Secrets Manager, TLS verified against the RDS CA, re-read after a rotation), and
 * photo links presigned with the function's role. Built once per container and reused.
 */
export async function createAwsDashboardApi(
  config: DashboardApiConfig,
  logger: Logger,
): Promise<DashboardApiDeps> {
  // One request at a time per container; the stats read runs in one transaction anyway.
  const database = await openLambdaDatabase(config.database, undefined, 2);
  return {
    database,
    devices: createDeviceRepository(database),
    coffees: createCoffeeRepository(database),
    photoLinks: createS3PhotoLinks({ client: new S3Client({}), bucket: config.photoBucket }),
    photoLinkSeconds: config.photoLinkSeconds,
    logger,
    now: () => new Date(),
  };
}
