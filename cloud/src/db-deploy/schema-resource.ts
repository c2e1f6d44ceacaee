import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import { currentMigration, type MigrationReport, migrateToLatest } from '../db/migrate.js';

/** Fixed, so an Update never looks like a replacement (which would send a Delete for the old id). */
export const SCHEMA_RESOURCE_ID = 'coffee-iot-db-schema';

export interface SchemaResourceData {
  /** The migration the database is at, readable in the stack with Fn::GetAtt(…, 'Version'). */
  Version: string;
}

export interface SchemaResourceOutcome {
  response: CdkCustomResourceResponse<SchemaResourceData>;
  /** Migrations this event ran; empty for Delete and for a database already current. */
  applied: string[];
}

export class SchemaResourceError extends Error {
  override readonly name = 'SchemaResourceError';
}

/**
 * The schema as a CloudFormation custom resource (CDK Provider framework, onEvent):
 * - Create and Update migrate to the newest schema. Updates come with every deploy that changes
 *   the function (its code hash is a property), so new migrations ship with the code that needs them.
 * - Delete does nothing: removing the stack, or this resource, must never drop coffees. It does not
 *   even connect, which is why the database is opened through `connect`, only when needed.
 * A failed migration throws, the Provider reports FAILED, and CloudFormation rolls the deploy back.
 */
export async function handleSchemaResourceEvent(
  event: Pick<CdkCustomResourceEvent, 'RequestType'> & { PhysicalResourceId?: string },
  connect: () => Promise<CoffeeDatabase>,
): Promise<SchemaResourceOutcome> {
  switch (event.RequestType) {
    case 'Delete':
      // The Provider insists a Delete answers with the id it was given.
      return {
        response: { PhysicalResourceId: event.PhysicalResourceId ?? SCHEMA_RESOURCE_ID },
        applied: [],
      };
    case 'Create':
    case 'Update': {
      const database = await connect();
      let report: MigrationReport;
      let version: string | null;
      try {
        report = await migrateToLatest(database.db);
        version = await currentMigration(database.db);
      } finally {
        await database.close();
      }
      if (version === null) throw new SchemaResourceError('the database has no schema after migrating');
      return {
        response: { PhysicalResourceId: SCHEMA_RESOURCE_ID, Data: { Version: version } },
        applied: report.applied,
      };
    }
    default:
      throw new SchemaResourceError(
        `unknown RequestType ${String((event as { RequestType: unknown }).RequestType)}`,
      );
  }
}
