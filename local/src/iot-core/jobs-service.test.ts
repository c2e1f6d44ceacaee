import { join } from 'node:path';
import { jobsTopics } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aedesMqtt } from './in-process-mqtt.js';
import { JobExistsError, JobInputError, UnknownJobError } from './jobs-errors.js';
import { JobsService } from './jobs-service.js';
import {
  type BrokerFixture,
  Inbox,
  ManualClock,
  ManualTimers,
  startBrokerFixture,
} from './testing/iot-core-harness.js';

const THING = 'coffee-pi-1';
const OTHER = 'coffee-pi-2';
const topics = jobsTopics(THING);
const PHOTO = { operation: 'capture-photo' };

describe('JobsService: the jobs device MQTT API on the embedded broker', () => {
  let fixture: BrokerFixture;
  let service: JobsService;
  let clock: ManualClock;
  let timers: ManualTimers;
  let inbox: Inbox;
  let path: string;
  let run = 0;

  const newService = () =>
    new JobsService({
      mqtt: aedesMqtt(fixture.broker.aedes),
      path,
      logger: fixture.logs.logger,
      clock,
      timers,
    });

  beforeAll(async () => {
    fixture = await startBrokerFixture('jobs', [THING, OTHER]);
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  beforeEach(async () => {
    run += 1;
    path = join(fixture.temp.dir, `jobs-${run}.json`);
    clock = new ManualClock();
    timers = new ManualTimers(clock);
    service = newService();
    await service.start();
    inbox = new Inbox(await fixture.connect(THING));
    await inbox.subscribe(topics.all.replace(/\*$/, '#'));
  });

  afterEach(async () => {
    await Promise.all(fixture.clients.splice(0).map((client) => client.endAsync(true)));
    await service.stop();
  });

  it('queues one execution per target and announces it on notify-next', async () => {
    const job = await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING, OTHER] });

    expect(job).toMatchObject({
      jobId: 'photo-1',
      operation: 'capture-photo',
      status: 'IN_PROGRESS',
      executionCounts: { QUEUED: 2 },
    });
    expect(await inbox.next(topics.notifyNext)).toEqual({
      execution: {
        jobId: 'photo-1',
        thingName: THING,
        jobDocument: PHOTO,
        status: 'QUEUED',
        queuedAt: clock.seconds,
        lastUpdatedAt: clock.seconds,
        versionNumber: 1,
        executionNumber: 1,
      },
      timestamp: clock.seconds,
    });
  });

  it('start-next moves the next execution to IN_PROGRESS with its step timeout; empty when nothing is pending', async () => {
    await inbox.publish(topics.startNext, { clientToken: 's0' });
    expect(await inbox.next(topics.startNextAccepted)).toEqual({
      timestamp: clock.seconds,
      clientToken: 's0',
    });

    await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING], stepTimeoutMinutes: 2 });
    clock.ms += 3000;
    await inbox.publish(topics.startNext, { statusDetails: { step: 'camera' }, clientToken: 's1' });

    expect(await inbox.next(topics.startNextAccepted)).toEqual({
      execution: {
        jobId: 'photo-1',
        thingName: THING,
        jobDocument: PHOTO,
        status: 'IN_PROGRESS',
        statusDetails: { step: 'camera' },
        queuedAt: clock.seconds - 3,
        startedAt: clock.seconds,
        lastUpdatedAt: clock.seconds,
        versionNumber: 2,
        executionNumber: 1,
        approximateSecondsBeforeTimedOut: 120,
      },
      timestamp: clock.seconds,
      clientToken: 's1',
    });
  });

  it('update with a stale expectedVersion is refused with VersionMismatch and the execution state', async () => {
    await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING] });
    await inbox.publish(topics.startNext, {});
    await inbox.next(topics.startNextAccepted);

    await inbox.publish(topics.update('photo-1'), {
      status: 'SUCCEEDED',
      expectedVersion: 1,
      clientToken: 'u',
    });

    expect(await inbox.next(topics.updateRejected('photo-1'))).toEqual({
      code: 'VersionMismatch',
      message: "expectedVersion 1 is not the execution's version 2",
      timestamp: clock.seconds,
      clientToken: 'u',
      executionState: { status: 'IN_PROGRESS', versionNumber: 2 },
    });
    expect(service.describeJob('photo-1').executions[0]?.status).toBe('IN_PROGRESS');
  });

  it('update succeeds with the right version, then announces the next job, and a terminal execution stays final', async () => {
    await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING] });
    await service.createJob({ jobId: 'logs-1', document: { operation: 'upload-logs' }, targets: [THING] });
    await inbox.next(topics.notifyNext);
    await inbox.publish(topics.startNext, {});
    await inbox.next(topics.startNextAccepted);

    await inbox.publish(topics.update('photo-1'), {
      status: 'SUCCEEDED',
      statusDetails: { photoKey: 'photos/coffee-pi-1/x.jpg' },
      expectedVersion: 2,
      includeJobExecutionState: true,
      includeJobDocument: true,
    });

    expect(await inbox.next(topics.updateAccepted('photo-1'))).toEqual({
      executionState: {
        status: 'SUCCEEDED',
        statusDetails: { photoKey: 'photos/coffee-pi-1/x.jpg' },
        versionNumber: 3,
      },
      jobDocument: PHOTO,
      timestamp: clock.seconds,
    });
    expect(await inbox.next(topics.notifyNext)).toMatchObject({
      execution: { jobId: 'logs-1', status: 'QUEUED' },
    });

    await inbox.publish(topics.update('photo-1'), { status: 'IN_PROGRESS' });
    expect(await inbox.next(topics.updateRejected('photo-1'))).toMatchObject({
      code: 'TerminalStateReached',
      executionState: { status: 'SUCCEEDED', versionNumber: 3 },
    });
    expect(service.describeJob('photo-1')).toMatchObject({
      status: 'COMPLETED',
      executions: [
        { thingName: THING, status: 'SUCCEEDED', statusDetails: { photoKey: 'photos/coffee-pi-1/x.jpg' } },
      ],
    });
  });

  it('announces an empty notify-next when the last pending execution ends', async () => {
    await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING] });
    await inbox.next(topics.notifyNext);

    await inbox.publish(topics.update('photo-1'), {
      status: 'REJECTED',
      statusDetails: { reason: 'unknown operation' },
    });

    await inbox.next(topics.updateAccepted('photo-1'));
    expect(await inbox.next(topics.notifyNext)).toEqual({ timestamp: clock.seconds });
  });

  it.each([
    ['a status the device may not set', { status: 'TIMED_OUT' }, 'InvalidStateTransition'],
    ['back to QUEUED', { status: 'QUEUED' }, 'InvalidStateTransition'],
    ['an unknown status', { status: 'DONE' }, 'InvalidRequest'],
    ['bad statusDetails', { status: 'IN_PROGRESS', statusDetails: { n: 1 } }, 'InvalidRequest'],
    ['a body that is not JSON', '{status', 'InvalidJson'],
  ])('refuses an update with %s', async (_case, body, code) => {
    await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING] });

    await inbox.publish(topics.update('photo-1'), body);

    expect(await inbox.next(topics.updateRejected('photo-1'))).toMatchObject({ code });
    expect(service.describeJob('photo-1').executions[0]).toMatchObject({
      status: 'QUEUED',
      versionNumber: 1,
    });
  });

  it('answers ResourceNotFound for a job the thing does not have', async () => {
    await service.createJob({ jobId: 'theirs', document: PHOTO, targets: [OTHER] });

    await inbox.publish(topics.update('theirs'), { status: 'SUCCEEDED' });
    await inbox.publish(topics.describe('theirs'), {});

    expect(await inbox.next(topics.updateRejected('theirs'))).toMatchObject({ code: 'ResourceNotFound' });
    expect(await inbox.next(topics.describeRejected('theirs'))).toMatchObject({ code: 'ResourceNotFound' });
    expect(service.describeJob('theirs').executions[0]?.status).toBe('QUEUED');
  });

  it('get lists pending executions; describe answers for a job id and for $next', async () => {
    await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING] });
    await service.createJob({ jobId: 'logs-1', document: { operation: 'upload-logs' }, targets: [THING] });
    await inbox.publish(topics.startNext, {});
    await inbox.next(topics.startNextAccepted);

    await inbox.publish(topics.getPending, { clientToken: 'p' });
    expect(await inbox.next(topics.getPendingAccepted)).toEqual({
      inProgressJobs: [
        {
          jobId: 'photo-1',
          queuedAt: clock.seconds,
          startedAt: clock.seconds,
          lastUpdatedAt: clock.seconds,
          versionNumber: 2,
          executionNumber: 1,
        },
      ],
      queuedJobs: [
        {
          jobId: 'logs-1',
          queuedAt: clock.seconds,
          lastUpdatedAt: clock.seconds,
          versionNumber: 1,
          executionNumber: 1,
        },
      ],
      timestamp: clock.seconds,
      clientToken: 'p',
    });

    await inbox.publish(topics.describe('logs-1'), { includeJobDocument: true });
    expect(await inbox.next(topics.describeAccepted('logs-1'))).toMatchObject({
      execution: { jobId: 'logs-1', status: 'QUEUED', jobDocument: { operation: 'upload-logs' } },
    });
    await inbox.publish(topics.describe('$next'), {});
    expect(await inbox.next(topics.describeAccepted('$next'))).toMatchObject({
      execution: { jobId: 'photo-1', status: 'IN_PROGRESS' },
    });
  });

  it('times out an IN_PROGRESS execution past its step timeout and moves on to the next job', async () => {
    await service.createJob({ jobId: 'slow', document: PHOTO, targets: [THING], stepTimeoutMinutes: 1 });
    await service.createJob({ jobId: 'after', document: PHOTO, targets: [THING] });
    await inbox.publish(topics.startNext, {});
    await inbox.next(topics.startNextAccepted);
    await inbox.next(topics.notifyNext);

    timers.advance(59_000);
    await service.listJobs();
    expect(service.describeJob('slow').executions[0]?.status).toBe('IN_PROGRESS');
    timers.advance(1_000);

    expect(await inbox.next(topics.notifyNext)).toMatchObject({
      execution: { jobId: 'after', status: 'QUEUED' },
    });
    expect(service.describeJob('slow').executions[0]).toMatchObject({
      status: 'TIMED_OUT',
      versionNumber: 3,
    });
    expect(service.counters.timedOut).toBe(1);
    await inbox.publish(topics.update('slow'), { status: 'SUCCEEDED' });
    expect(await inbox.next(topics.updateRejected('slow'))).toMatchObject({ code: 'TerminalStateReached' });
  });

  it('restarts the step timeout when an update names a new one', async () => {
    await service.createJob({ jobId: 'slow', document: PHOTO, targets: [THING], stepTimeoutMinutes: 1 });
    await inbox.publish(topics.startNext, {});
    await inbox.next(topics.startNextAccepted);
    timers.advance(50_000);
    await inbox.publish(topics.update('slow'), { status: 'IN_PROGRESS', stepTimeoutInMinutes: 5 });
    await inbox.next(topics.updateAccepted('slow'));

    timers.advance(60_000);
    await inbox.publish(topics.describe('slow'), {});

    expect(await inbox.next(topics.describeAccepted('slow'))).toMatchObject({
      execution: { status: 'IN_PROGRESS', approximateSecondsBeforeTimedOut: 240 },
    });
  });

  it('keeps jobs and executions across a restart, step timeout included', async () => {
    await service.createJob({ jobId: 'slow', document: PHOTO, targets: [THING], stepTimeoutMinutes: 1 });
    await inbox.publish(topics.startNext, {});
    await inbox.next(topics.startNextAccepted);
    await service.stop();
    expect(timers.size).toBe(0);

    service = newService();
    await service.start();

    expect(service.describeJob('slow').executions[0]).toMatchObject({
      status: 'IN_PROGRESS',
      versionNumber: 2,
    });
    expect(service.listJobs().map((job) => job.jobId)).toEqual(['slow']);
    timers.advance(60_000);
    await inbox.publish(topics.describe('slow'), {});
    expect(await inbox.next(topics.describeAccepted('slow'))).toMatchObject({
      execution: { status: 'TIMED_OUT' },
    });
  });

  it('cancelJob cancels queued executions, and in-progress ones only when forced', async () => {
    await service.createJob({ jobId: 'photo-1', document: PHOTO, targets: [THING, OTHER] });
    await inbox.publish(topics.startNext, {});
    await inbox.next(topics.startNextAccepted);

    const canceled = await service.cancelJob('photo-1');
    expect(canceled.status).toBe('CANCELED');
    expect(canceled.executionCounts).toEqual({ IN_PROGRESS: 1, CANCELED: 1 });

    const forced = await service.cancelJob('photo-1', { force: true });
    expect(forced.executionCounts).toEqual({ CANCELED: 2 });
    await inbox.publish(topics.update('photo-1'), { status: 'SUCCEEDED' });
    expect(await inbox.next(topics.updateRejected('photo-1'))).toMatchObject({
      code: 'TerminalStateReached',
    });
  });

  it('refuses bad job input naming the field, a duplicate id and an unknown job', async () => {
    await expect(service.createJob({ document: PHOTO, targets: [] })).rejects.toMatchObject({
      field: 'targets',
    });
    await expect(service.createJob({ document: PHOTO, targets: ['no spaces'] })).rejects.toBeInstanceOf(
      JobInputError,
    );
    await expect(service.createJob({ document: [] as never, targets: [THING] })).rejects.toMatchObject({
      field: 'document',
    });
    await expect(
      service.createJob({ document: PHOTO, targets: [THING], stepTimeoutMinutes: 0 }),
    ).rejects.toMatchObject({ field: 'stepTimeoutMinutes' });
    await expect(
      service.createJob({ jobId: 'a b', document: PHOTO, targets: [THING] }),
    ).rejects.toMatchObject({ field: 'jobId' });
    await service.createJob({ jobId: 'once', document: PHOTO, targets: [THING] });
    await expect(
      service.createJob({ jobId: 'once', document: PHOTO, targets: [THING] }),
    ).rejects.toBeInstanceOf(JobExistsError);
    expect(() => service.describeJob('nope')).toThrow(UnknownJobError);
    expect(service.listJobs()).toHaveLength(1);
  });

  it('makes up a job id from the operation', async () => {
    const job = await service.createJob({ document: PHOTO, targets: [THING] });

    expect(job.jobId).toMatch(/^capture-photo-[0-9a-f]{8}$/);
  });
});

describe('JobsService under the thing policy', () => {
  let fixture: BrokerFixture;
  let service: JobsService;

  beforeAll(async () => {
    fixture = await startBrokerFixture('jobs-policy', [THING, OTHER]);
    service = new JobsService({
      mqtt: aedesMqtt(fixture.broker.aedes),
      path: join(fixture.temp.dir, 'jobs.json'),
      logger: fixture.logs.logger,
    });
    await service.start();
    await service.createJob({ jobId: 'theirs', document: PHOTO, targets: [OTHER] });
  });

  afterAll(async () => {
    await service?.stop();
    await fixture?.stop();
  });

  it("refuses a device's subscription to another thing's jobs", async () => {
    const inbox = new Inbox(await fixture.connect(THING));

    await expect(inbox.subscribe(jobsTopics(OTHER).notifyNext)).rejects.toThrow(/Subscribe error|refused/);
    await expect(inbox.subscribe('$aws/things/+/jobs/#')).rejects.toThrow(/Subscribe error|refused/);
  });

  it("drops a device that starts another thing's job, and the execution stays QUEUED", async () => {
    const client = await fixture.connect(THING);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));

    client.publish(jobsTopics(OTHER).startNext, '{}', { qos: 1 });
    await closed;

    expect(service.describeJob('theirs').executions[0]?.status).toBe('QUEUED');
  });
});
