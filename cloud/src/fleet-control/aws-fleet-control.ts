import {
  CreateJobCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeThingCommand,
  GetJobDocumentCommand,
  type IoTClient,
  ListJobExecutionsForJobCommand,
} from '@aws-sdk/client-iot';
import {
  GetThingShadowCommand,
  type IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { CONFIG_SHADOW_NAME, type JobExecutionStatus, type JobStatusDetails } from '@coffee-iot/shared';
import {
  type DeviceConfigView,
  type FleetControl,
  FleetControlError,
  type JobExecutionView,
  type JobRequest,
  type JobView,
} from './fleet-control-port.js';
import { configView } from './shadow-view.js';

/**
 * FleetControl over AWS IoT Core: the `config` named shadow through the data plane
 * (GetThingShadow / UpdateThingShadow), jobs through the control plane (CreateJob, DescribeJob,
 * ListJobExecutionsForJob, DescribeJobExecution). Snapshot jobs only: a job goes to the things
 * named now, never to things added to a group later.
 */
export class AwsFleetControl implements FleetControl {
  constructor(
    private readonly iot: IoTClient,
    private readonly data: IoTDataPlaneClient,
    readonly description: string,
  ) {}

  async getConfig(thing: string): Promise<DeviceConfigView> {
    try {
      const answer = await this.data.send(
        new GetThingShadowCommand({ thingName: thing, shadowName: CONFIG_SHADOW_NAME }),
      );
      return configView(thing, parseJson(answer.payload, `the ${CONFIG_SHADOW_NAME} shadow of ${thing}`));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        await this.thingArn(thing); // an unknown thing is an error; a thing without a shadow is not
        return { thing, desired: {}, reported: {}, delta: {}, version: null };
      }
      throw explain(error, `reading the ${CONFIG_SHADOW_NAME} shadow of ${thing}`);
    }
  }

  async setDesiredConfig(
    thing: string,
    values: Readonly<Record<string, unknown>>,
  ): Promise<DeviceConfigView> {
    await this.thingArn(thing);
    const payload = new TextEncoder().encode(JSON.stringify({ state: { desired: values } }));
    try {
      await this.data.send(
        new UpdateThingShadowCommand({ thingName: thing, shadowName: CONFIG_SHADOW_NAME, payload }),
      );
    } catch (error) {
      throw explain(error, `updating the ${CONFIG_SHADOW_NAME} shadow of ${thing}`);
    }
    return this.getConfig(thing);
  }

  async createJob(request: JobRequest): Promise<{ jobId: string }> {
    const targets = await Promise.all(request.targets.map((thing) => this.thingArn(thing)));
    try {
      await this.iot.send(
        new CreateJobCommand({
          jobId: request.jobId,
          targets,
          document: JSON.stringify(request.document),
          targetSelection: 'SNAPSHOT',
          ...(request.inProgressTimeoutMinutes === undefined
            ? {}
            : { timeoutConfig: { inProgressTimeoutInMinutes: request.inProgressTimeoutMinutes } }),
        }),
      );
    } catch (error) {
      throw explain(error, `creating job ${request.jobId}`);
    }
    return { jobId: request.jobId };
  }

  async describeJob(jobId: string): Promise<JobView> {
    try {
      const [{ job }, { document }] = await Promise.all([
        this.iot.send(new DescribeJobCommand({ jobId })),
        this.iot.send(new GetJobDocumentCommand({ jobId })),
      ]);
      const executions: JobExecutionView[] = [];
      let nextToken: string | undefined;
      do {
        const page = await this.iot.send(new ListJobExecutionsForJobCommand({ jobId, nextToken }));
        for (const summary of page.executionSummaries ?? []) {
          const thing = summary.thingArn?.split('/').pop() ?? '?';
          executions.push(await this.execution(jobId, thing));
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return {
        jobId,
        status: job?.status ?? 'UNKNOWN',
        document:
          document === undefined
            ? {}
            : (parseJson(document, `job ${jobId}'s document`) as Record<string, unknown>),
        executions: executions.sort((a, b) => a.thing.localeCompare(b.thing)),
      };
    } catch (error) {
      throw explain(error, `describing job ${jobId}`);
    }
  }

  private async execution(jobId: string, thing: string): Promise<JobExecutionView> {
    const { execution } = await this.iot.send(new DescribeJobExecutionCommand({ jobId, thingName: thing }));
    return {
      thing,
      status: (execution?.status ?? 'QUEUED') as JobExecutionStatus,
      statusDetails: (execution?.statusDetails?.detailsMap ?? {}) as JobStatusDetails,
      lastUpdatedAt: execution?.lastUpdatedAt ?? null,
    };
  }

  private async thingArn(thing: string): Promise<string> {
    try {
      const { thingArn } = await this.iot.send(new DescribeThingCommand({ thingName: thing }));
      if (thingArn === undefined) throw new FleetControlError(`AWS IoT returned no ARN for thing ${thing}`);
      return thingArn;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        throw new FleetControlError(
          `there is no thing named ${thing} in AWS IoT (coffee-iot provision ${thing} creates one)`,
        );
      }
      throw explain(error, `looking up thing ${thing}`);
    }
  }
}

function parseJson(payload: Uint8Array | string | undefined, what: string): unknown {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload ?? new Uint8Array());
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FleetControlError(`${what} is not JSON`, { cause: error });
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function explain(error: unknown, doing: string): Error {
  if (error instanceof FleetControlError) return error;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ResourceNotFoundException')
    return new FleetControlError(`${doing}: not found (${message})`, { cause: error });
  if (name === 'AccessDeniedException' || name === 'UnauthorizedException' || name === 'ForbiddenException') {
    return new FleetControlError(`${doing}: the AWS credentials are not allowed to (${message})`, {
      cause: error,
    });
  }
  return new FleetControlError(`${doing} failed: ${name ?? 'Error'}: ${message}`, { cause: error });
}
