import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createAwsDashboardApi } from '../dashboard-api/aws-dashboard-api.js';
import { readDashboardApiConfig } from '../dashboard-api/dashboard-api-config.js';
import { type DashboardApiDeps, handleDashboardRequest } from '../dashboard-api/handle-request.js';
import { createCloudLogger } from '../logging/logger.js';

const logger = createCloudLogger('coffee-iot-dashboard-api');
// Checked when the container starts, like the photo handler: a misconfigured deploy fails at once,
// naming every bad variable.
const config = readDashboardApiConfig(process.env);
let api: Promise<DashboardApiDeps> | undefined;

/**
 * HTTP API (payload v2, behind the Cognito JWT authorizer): GET /api/snapshot, and GET /api/photos/{key}
 * (a 302 to a presigned link, or with `Accept: application/json` the link and its expiry as JSON).
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  api ??= createAwsDashboardApi(config, logger).catch((error: unknown) => {
    // Do not cache a failed start (e.g. Secrets Manager throttled): the next request tries again.
    api = undefined;
    throw error;
  });
  return handleDashboardRequest(event, await api);
}
