import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../testing/capture-logs.js';
import {
  FakeJobsConnection,
  FakeJobsService,
  ManualTime,
  newService,
  ScriptedHandler,
  THING,
} from '../testing/jobs/jobs-harness.js';
import {
  AgentStoppingError,
  JobEndedElsewhereError,
  JobStepTimeoutError,
  STEP_TIMEOUT_REASON,
} from './jobs-service.js';

describe('JobsService', () => {
  let stateDir: string;
  let jobs: FakeJobsService;
  let time: ManualTime;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'coffee-iot-jobs-'));
    jobs = new FakeJobsService(THING);
    time = new ManualTime();
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  const journalFiles = async () => (await readdir(join(stateDir, 'jobs'))).sort();

  it('refuses an operation it has no handler for, naming it, and runs nothing', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const { logger, lines } = captureLogs('info');
    const service = newService(stateDir, [photo], time, { logger });
    jobs.queue('evil-1', { operation: 'shell', command: 'rm -rf /' });
    await service.connected(new FakeJobsConnection(jobs).context);

    await vi.waitFor(() => expect(jobs.execution('evil-1').status).toBe('REJECTED'));
    expect(jobs.execution('evil-1').statusDetails?.reason).toMatch(/operation "shell" is not allowed/);
    expect(photo.runs).toHaveLength(0);
    expect(jobs.terminalUpdates('evil-1')[0]?.request.expectedVersion).toBe(2);
    expect(lines.some((l) => l.jobId === 'evil-1' && String(l.reason).includes('"shell"'))).toBe(true);
    expect(service.status()).toMatchObject({ rejected: 1, last: { jobId: 'evil-1', status: 'REJECTED' } });
    await vi.waitFor(async () => expect(await journalFiles()).toEqual([]));
  });

  it('does not warn when its start-next is cut off by the connection ending: the next connection asks again', async () => {
    const { logger, lines } = captureLogs('debug');
    const service = newService(stateDir, [new ScriptedHandler('capture-photo')], time, { logger });
    const connection = new FakeJobsConnection(jobs);
    connection.transport.autoAck = false; // start-next stays unacknowledged…
    await service.connected(connection.context);
    await vi.waitFor(() => expect(connection.transport.pending.length).toBeGreaterThan(0));
    service.disconnected();
    connection.drop(); // …until the connection ends under it

    await vi.waitFor(() =>
      expect(lines.some((l) => String(l.msg).includes('could not get the next job'))).toBe(true),
    );
    expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
  });

  it('rejects a document its handler finds invalid, with the handler reason', async () => {
    const photo = new ScriptedHandler('capture-photo');
    photo.problem = 'countdownSeconds must be 0-10';
    const service = newService(stateDir, [photo], time);
    jobs.queue('bad-doc', { operation: 'capture-photo', countdownSeconds: 99 });
    await service.connected(new FakeJobsConnection(jobs).context);

    await vi.waitFor(() => expect(jobs.execution('bad-doc').status).toBe('REJECTED'));
    expect(jobs.execution('bad-doc').statusDetails).toEqual({ reason: 'countdownSeconds must be 0-10' });
    expect(photo.runs).toHaveLength(0);
  });

  it('runs one job at a time, reporting each outcome with the version the service last gave', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const service = newService(stateDir, [photo], time);
    const connection = new FakeJobsConnection(jobs);
    jobs.queue('a', { operation: 'capture-photo' });
    jobs.queue('b', { operation: 'capture-photo' });
    await service.connected(connection.context);

    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));
    expect(service.status().current).toMatchObject({ jobId: 'a', operation: 'capture-photo' });
    await photo.runs[0]?.progress({ step: 'counting down' });
    expect(jobs.execution('a').statusDetails).toEqual({ step: 'counting down' });
    photo.finish({ status: 'SUCCEEDED', details: { photoKey: 'photos/x.jpg' } });

    await vi.waitFor(() => expect(photo.runs).toHaveLength(2));
    expect(jobs.execution('a')).toMatchObject({
      status: 'SUCCEEDED',
      statusDetails: { photoKey: 'photos/x.jpg' },
    });
    // start-next made it version 2, the progress update 3: the outcome expected 3.
    expect(jobs.updates.filter((u) => u.jobId === 'a').map((u) => u.request.expectedVersion)).toEqual([2, 3]);
    expect(jobs.execution('b').status).toBe('IN_PROGRESS');
    photo.finish(new Error('camera unplugged'));
    await vi.waitFor(() => expect(jobs.execution('b').status).toBe('FAILED'));
    expect(jobs.execution('b').statusDetails).toEqual({ reason: 'camera unplugged' });
    expect(service.status()).toMatchObject({ current: null, succeeded: 1, failed: 1 });
  });

  it('adopts the service version after a VersionMismatch and reports once', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const { logger, lines } = captureLogs('info');
    const service = newService(stateDir, [photo], time, { logger });
    jobs.queue('v', { operation: 'capture-photo' });
    await service.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));

    jobs.bumpVersion('v'); // e.g. an operator's tool updated the execution meanwhile
    photo.finish({ status: 'SUCCEEDED', details: {} });

    await vi.waitFor(() => expect(jobs.execution('v').status).toBe('SUCCEEDED'));
    expect(jobs.updates.map((u) => [u.request.expectedVersion, u.answer])).toEqual([
      [2, 'VersionMismatch'],
      [3, 'accepted'],
    ]);
    expect(jobs.terminalUpdates('v')).toHaveLength(1);
    expect(lines.some((l) => String(l.msg).includes('VersionMismatch'))).toBe(true);
    // Retried at once with the service's version, not left for the next connection.
    expect(lines.filter((l) => String(l.msg).includes('not acknowledged'))).toEqual([]);
  });

  it('sends a progress update and the outcome right behind it in order, each with the version before it', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const service = newService(stateDir, [photo], time);
    const connection = new FakeJobsConnection(jobs);
    jobs.queue('p', { operation: 'capture-photo' });
    await service.connected(connection.context);
    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));

    connection.transport.autoAck = false; // the broker is slow to answer
    void photo.runs[0]?.progress({ step: 'capturing' }); // not awaited, as capture-photo does
    photo.finish({ status: 'SUCCEEDED', details: {} });
    await vi.waitFor(async () => {
      const entry = JSON.parse(await readFile(join(stateDir, 'jobs', 'p.json'), 'utf8'));
      expect(entry.state).toBe('decided');
    });
    // The outcome waits for the progress update's answer instead of racing it.
    expect(connection.transport.pending.map((p) => JSON.parse(p.payload).status)).toEqual(['IN_PROGRESS']);
    connection.transport.autoAck = true;
    connection.transport.ackPending();

    await vi.waitFor(() => expect(jobs.execution('p').status).toBe('SUCCEEDED'));
    expect(jobs.updates.map((u) => [u.request.status, u.request.expectedVersion, u.answer])).toEqual([
      ['IN_PROGRESS', 2, 'accepted'],
      ['SUCCEEDED', 3, 'accepted'],
    ]);
  });

  it('stops the handler when the job is canceled while it runs, and reports nothing more', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const service = newService(stateDir, [photo], time);
    const connection = new FakeJobsConnection(jobs);
    jobs.queue('c', { operation: 'capture-photo' });
    await service.connected(connection.context);
    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));

    connection.deliver(jobs.end('c', 'CANCELED'));

    await vi.waitFor(() => expect(photo.runs[0]?.signal.aborted).toBe(true));
    expect(photo.runs[0]?.signal.reason).toBeInstanceOf(JobEndedElsewhereError);
    await vi.waitFor(() => expect(service.status().current).toBeNull());
    expect(jobs.updates).toEqual([]);
    expect(jobs.execution('c').status).toBe('CANCELED');
    expect(await journalFiles()).toEqual([]);
  });

  it('treats TerminalStateReached on a progress update as the job ending elsewhere', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const service = newService(stateDir, [photo], time);
    jobs.queue('t', { operation: 'capture-photo' });
    await service.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));
    jobs.end('t', 'TIMED_OUT'); // no notify delivered: only the update finds out

    await photo.runs[0]?.progress({ step: 'x' });
    expect(photo.runs[0]?.signal.reason).toBeInstanceOf(JobEndedElsewhereError);
    await vi.waitFor(() => expect(service.status().current).toBeNull());
    expect(jobs.updates.map((u) => u.answer)).toEqual(['TerminalStateReached']);
  });

  it('aborts the handler and reports FAILED "step timeout" when the step deadline passes', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const service = newService(stateDir, [photo], time);
    jobs.queue('slow', { operation: 'capture-photo' }, { approximateSecondsBeforeTimedOut: 90 });
    await service.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));

    time.advance(89_000);
    expect(photo.runs[0]?.signal.aborted).toBe(false);
    time.advance(1_000);
    expect(photo.runs[0]?.signal.reason).toBeInstanceOf(JobStepTimeoutError);
    await vi.waitFor(() => expect(jobs.execution('slow').status).toBe('FAILED'));
    expect(jobs.execution('slow').statusDetails).toEqual({ reason: STEP_TIMEOUT_REASON });
  });

  it('takes the step timeout from the document when the service gives none', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const service = newService(stateDir, [photo], time);
    jobs.queue('doc-timeout', { operation: 'capture-photo', stepTimeoutInMinutes: 2 });
    await service.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));
    time.advance(120_000);
    await vi.waitFor(() =>
      expect(jobs.execution('doc-timeout').statusDetails?.reason).toBe(STEP_TIMEOUT_REASON),
    );
  });

  it('resumes a job interrupted by a crash with its checkpoint, and completes it once', async () => {
    const before = new ScriptedHandler('capture-photo');
    const first = newService(stateDir, [before], time);
    const crashed = new FakeJobsConnection(jobs);
    jobs.queue('k', { operation: 'capture-photo' });
    await first.connected(crashed.context);
    await vi.waitFor(() => expect(before.runs).toHaveLength(1));
    expect(before.runs[0]?.checkpoint).toBeUndefined();
    await before.runs[0]?.saveCheckpoint({ phase: 'captured', photoKey: 'photos/k.jpg' });
    crashed.drop(); // SIGKILL: nothing of the first process runs any more

    const after = new ScriptedHandler('capture-photo');
    const second = newService(stateDir, [after], new ManualTime());
    await second.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(after.runs).toHaveLength(1));
    expect(after.runs[0]?.checkpoint).toEqual({ phase: 'captured', photoKey: 'photos/k.jpg' });
    after.finish({ status: 'SUCCEEDED', details: { photoKey: 'photos/k.jpg' } });

    await vi.waitFor(() => expect(jobs.execution('k').status).toBe('SUCCEEDED'));
    expect(jobs.terminalUpdates('k')).toHaveLength(1);
    expect(await journalFiles()).toEqual([]);
  });

  it('reports an outcome decided before a crash again, without running the job again', async () => {
    const before = new ScriptedHandler('capture-photo');
    const first = newService(stateDir, [before], time);
    const crashed = new FakeJobsConnection(jobs);
    jobs.queue('d', { operation: 'capture-photo' });
    await first.connected(crashed.context);
    await vi.waitFor(() => expect(before.runs).toHaveLength(1));
    crashed.transport.autoAck = false; // the outcome never reaches the service
    before.finish({ status: 'SUCCEEDED', details: { photoKey: 'photos/d.jpg' } });
    await vi.waitFor(async () => {
      const entry = JSON.parse(await readFile(join(stateDir, 'jobs', 'd.json'), 'utf8'));
      expect(entry).toMatchObject({ state: 'decided', outcome: { status: 'SUCCEEDED' } });
    });
    crashed.drop();

    const after = new ScriptedHandler('capture-photo');
    const second = newService(stateDir, [after], new ManualTime());
    await second.connected(new FakeJobsConnection(jobs).context);

    await vi.waitFor(() => expect(jobs.execution('d').status).toBe('SUCCEEDED'));
    expect(jobs.execution('d').statusDetails).toEqual({ photoKey: 'photos/d.jpg' });
    expect(after.runs).toHaveLength(0);
    expect(jobs.terminalUpdates('d')).toHaveLength(1);
    await vi.waitFor(async () => expect(await journalFiles()).toEqual([]));
  });

  it('forgets a journalled job the service no longer offers (canceled while the agent was down)', async () => {
    const before = new ScriptedHandler('capture-photo');
    const first = newService(stateDir, [before], time);
    const crashed = new FakeJobsConnection(jobs);
    jobs.queue('gone', { operation: 'capture-photo' });
    await first.connected(crashed.context);
    await vi.waitFor(() => expect(before.runs).toHaveLength(1));
    crashed.drop();
    jobs.end('gone', 'CANCELED');

    const after = new ScriptedHandler('capture-photo');
    const second = newService(stateDir, [after], new ManualTime());
    await second.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(async () => expect(await journalFiles()).toEqual([]));
    expect(after.runs).toHaveLength(0);
    expect(jobs.updates).toEqual([]);
  });

  it('keeps an interrupted job IN_PROGRESS on shutdown instead of failing it', async () => {
    const photo = new ScriptedHandler('capture-photo');
    const service = newService(stateDir, [photo], time);
    jobs.queue('s', { operation: 'capture-photo' });
    await service.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(photo.runs).toHaveLength(1));

    await service.stop();
    expect(photo.runs[0]?.signal.reason).toBeInstanceOf(AgentStoppingError);
    expect(jobs.updates).toEqual([]);
    expect(await journalFiles()).toEqual(['s.json']);
  });

  it('fails a job whose handler was started too often without finishing (a crash loop)', async () => {
    jobs.queue('loop', { operation: 'capture-photo' });
    for (let run = 1; run <= 2; run += 1) {
      const handler = new ScriptedHandler('capture-photo');
      const connection = new FakeJobsConnection(jobs);
      await newService(stateDir, [handler], time, { maxRuns: 2 }).connected(connection.context);
      await vi.waitFor(() => expect(handler.runs).toHaveLength(1));
      connection.drop();
    }
    const last = new ScriptedHandler('capture-photo');
    await newService(stateDir, [last], time, { maxRuns: 2 }).connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(jobs.execution('loop').status).toBe('FAILED'));
    expect(jobs.execution('loop').statusDetails?.reason).toMatch(/interrupted 2 times/);
    expect(last.runs).toHaveLength(0);
  });

  it('keeps the execution IN_PROGRESS and asks for a restart when a handler returns RESTARTING', async () => {
    const restart = new ScriptedHandler('restart');
    const requested: string[] = [];
    const service = newService(stateDir, [restart], time, { onRestartRequested: (id) => requested.push(id) });
    jobs.queue('r', { operation: 'restart' });
    jobs.queue('next', { operation: 'restart' });
    await service.connected(new FakeJobsConnection(jobs).context);
    await vi.waitFor(() => expect(restart.runs).toHaveLength(1));
    await restart.runs[0]?.saveCheckpoint({ phase: 'restarting' });
    restart.finish({ status: 'RESTARTING', details: { step: 'restarting' } });

    await vi.waitFor(() => expect(requested).toEqual(['r']));
    expect(jobs.execution('r')).toMatchObject({
      status: 'IN_PROGRESS',
      statusDetails: { step: 'restarting' },
    });
    expect(jobs.execution('next').status).toBe('QUEUED'); // nothing else starts before the restart
    expect(await journalFiles()).toEqual(['r.json']);
  });
});
