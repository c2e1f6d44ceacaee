import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { checkAwsSetup } from '../provision/aws-session.js';
import { AwsFleetControl } from './aws-fleet-control.js';
import type { FleetControl } from './fleet-control-port.js';
import { LocalFleetControl } from './local-fleet-control.js';

/** Where `npm start` serves its dashboard and API (local/src/stack/stack-options.ts). */
export const DEFAULT_LOCAL_DASHBOARD = 'http://127.0.0.1:8080';
export const DASHBOARD_URL_ENV = 'COFFEE_IOT_DASHBOARD_URL';

export type FleetTarget =
  | { readonly kind: 'local'; readonly dashboardUrl: string }
  | { readonly kind: 'aws'; readonly region: string | undefined };

/** Opens the chosen target; for AWS, checks region and credentials first and finds the data endpoint. */
export async function openFleetControl(
  target: FleetTarget,
  fetchImpl: typeof fetch = fetch,
): Promise<FleetControl> {
  if (target.kind === 'local') return new LocalFleetControl(target.dashboardUrl, fetchImpl);
  const iot = new IoTClient(target.region === undefined ? {} : { region: target.region });
  const region = await checkAwsSetup(iot, 'read and update thing shadows and create jobs');
  // The data plane lives on the account's own ATS endpoint, not the regional control endpoint.
  const { endpointAddress } = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  const data = new IoTDataPlaneClient({ region, endpoint: `https://${endpointAddress}` });
  return new AwsFleetControl(iot, data, `AWS IoT in ${region}`);
}
