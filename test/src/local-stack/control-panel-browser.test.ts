import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shadowTopics } from '@coffee-iot/shared';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDashboardServer,
  type DashboardServer,
} from '../../../local/src/dashboard/dashboard-server.js';
import { FakeDashboardSource } from '../../../local/src/dashboard/testing/fake-dashboard-source.js';
import { iotCoreControl } from '../../../local/src/iot-core/iot-core-control.js';
import { JobsService } from '../../../local/src/iot-core/jobs-service.js';
import { ShadowService } from '../../../local/src/iot-core/shadow-service.js';
import { RecordingMqtt } from '../../../local/src/iot-core/testing/recording-mqtt.js';
import { webRoots } from '../../../local/src/stack/web-roots.js';
import { captureLogs } from '../../../local/src/testing/log-capture.js';
import { type TempDir, tempDir } from '../../../local/src/testing/temp-dir.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const THING = 'coffee-pi-1';
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);

/**
 * The dashboard's remote-control panel in Chromium, over the real dashboard server and the real
 * shadow and jobs services (a recording MQTT in place of the broker, so a test can play the device).
 */
describe('dashboard remote-control panel (Chromium)', () => {
  let browser: Browser;
  let temp: TempDir;
  let mqtt: RecordingMqtt;
  let shadows: ShadowService;
  let jobs: JobsService;
  let server: DashboardServer;
  let url: string;
  let page: Page;
  let consoleErrors: string[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    temp = await tempDir('control-panel');
    mqtt = new RecordingMqtt();
    const { logger } = captureLogs();
    shadows = new ShadowService({ mqtt, directory: join(temp.dir, 'shadows'), logger });
    jobs = new JobsService({ mqtt, path: join(temp.dir, 'jobs.json'), logger });
    await shadows.start();
    await jobs.start();
    const source = new FakeDashboardSource({ simulatedDevices: [THING] });
    // The snapshot fixture's coffees show their photos: serve them, so no request fails.
    for (const coffee of source.snapshotData.coffees) {
      if (coffee.photoKey !== null)
        source.photos.set(coffee.photoKey, { body: JPEG, contentType: 'image/jpeg' });
    }
    server = createDashboardServer({
      source,
      control: iotCoreControl(shadows, jobs),
      staticRoots: webRoots(),
      logger,
    });
    url = (await server.listen(0)).url;
    page = await browser.newPage();
    consoleErrors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) consoleErrors.push(`${response.status()} ${response.url()}`);
    });
  });

  afterEach(async () => {
    await page?.close();
    await server?.close();
    await jobs?.stop();
    await shadows?.stop();
    await temp?.remove();
  });

  function reportFromDevice(reported: Record<string, unknown>): void {
    mqtt.deliver(shadowTopics(THING).update, Buffer.from(JSON.stringify({ state: { reported } })));
  }

  it('shows what the device reports, sends a desired change, and shows applied / refused / pending restart', async () => {
    reportFromDevice({
      intervalMs: 1000,
      batchSeconds: 5,
      coffee: { countdownSeconds: 3 },
      logLevel: 'info',
    });
    await page.goto(url);
    await page.getByTestId('config-state-intervalMs').waitFor();
    await expect.poll(() => page.locator('#control-section').isVisible()).toBe(true);
    await expect
      .poll(() => page.locator('[data-testid="config-table"] tbody tr').nth(1).textContent())
      .toContain('5');

    await page.getByTestId('config-input-batchSeconds').fill('10');
    await page.getByTestId('config-input-coffee.countdownSeconds').fill('99');
    await page.getByTestId('config-input-logLevel').selectOption('debug');
    await page.getByTestId('config-apply').click();

    await expect.poll(() => page.getByTestId('config-message').textContent()).toContain('sent (version 2)');
    expect((await shadows.getDocument(THING))?.state.desired).toEqual({
      batchSeconds: 10,
      coffee: { countdownSeconds: 99 },
      logLevel: 'debug',
    });
    expect(await page.getByTestId('config-state-batchSeconds').textContent()).toBe('pending');

    // The device applies batchSeconds, refuses the countdown, keeps logLevel for the next start.
    reportFromDevice({
      batchSeconds: 10,
      refused: { 'coffee.countdownSeconds': 'must be at most 30' },
      pendingRestart: { logLevel: 'debug' },
    });

    await expect
      .poll(() => page.getByTestId('config-state-batchSeconds').textContent(), { timeout: 5000 })
      .toBe('applied');
    expect(await page.getByTestId('config-state-coffee.countdownSeconds').textContent()).toBe(
      'refused: must be at most 30',
    );
    expect(await page.getByTestId('config-state-logLevel').textContent()).toBe(
      'pending restart: "debug" at the next start',
    );
    expect(consoleErrors).toEqual([]);
  }, 30_000);

  it('Photo now creates a capture-photo job through the jobs path and the job list shows its status', async () => {
    await page.goto(url);
    await expect.poll(() => page.locator('#control-section').isVisible()).toBe(true);

    await page.getByTestId('photo-now').click();

    await expect
      .poll(() => page.getByTestId('photo-message').textContent())
      .toMatch(/^job capture-photo-[0-9a-f]{8} queued$/);
    const [job] = jobs.listJobs();
    expect(job).toMatchObject({
      operation: 'capture-photo',
      targets: [THING],
      executionCounts: { QUEUED: 1 },
    });
    expect(jobs.describeJob(job?.jobId ?? '').document).toEqual({ operation: 'capture-photo' });
    const status = page.getByTestId(`job-status-${job?.jobId}`);
    await expect.poll(() => status.textContent()).toBe('QUEUED');

    // The device takes and finishes it: the list follows.
    mqtt.deliver(`$aws/things/${THING}/jobs/start-next`, Buffer.from('{}'));
    mqtt.deliver(`$aws/things/${THING}/jobs/${job?.jobId}/update`, Buffer.from('{"status":"SUCCEEDED"}'));

    await expect.poll(() => status.textContent(), { timeout: 5000 }).toBe('SUCCEEDED');
    expect(consoleErrors).toEqual([]);
  }, 30_000);
});
