import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../cloud/src/photos/s3-photo-store.js';
import { LOCAL_PHOTO_BUCKET } from '../../../local/src/s3/local-s3.js';
import type { LocalStack } from '../../../local/src/stack/local-stack.js';
import { eventually, queryLake, startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

/** Debian's chromium (apt-get install chromium); .ci/run installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots land here so a CI run keeps them (gitignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '../../artifacts');

describe('npm start: the whole pipeline with 3 simulated devices, driven through the dashboard', () => {
  let stack: LocalStack;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    dataDir = await tempDataDir();
    stack = await startTestStack(testStackOptions(dataDir.path, { devices: 3 }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await dataDir?.remove();
  }, 60_000);

  it('lands every device telemetry in the lake, queryable with coffee-iot query', async () => {
    const rows = await eventually('readings from 3 devices in the lake', async () => {
      const found = await queryLake<{ device_id: string; readings: number }>(
        stack.lakeDir,
        stack.databaseUrl,
        'SELECT device_id, count(*) AS readings FROM telemetry GROUP BY device_id ORDER BY device_id',
      );
      return found.length === 3 && found.every((row) => Number(row.readings) >= 3) ? found : undefined;
    });
    expect(rows.map((row) => row.device_id)).toEqual(['coffee-pi-1', 'coffee-pi-2', 'coffee-pi-3']);
    const [span] = await queryLake<{ duplicates: number; gaps: number }>(
      stack.lakeDir,
      stack.databaseUrl,
      `SELECT count(*) - count(DISTINCT (device_id, seq)) AS duplicates,
              sum(max_seq - min_seq + 1 - n) AS gaps
         FROM (SELECT device_id, seq, min(seq) OVER w AS min_seq, max(seq) OVER w AS max_seq, count(*) OVER w AS n
                 FROM telemetry WINDOW w AS (PARTITION BY device_id))`,
    );
    expect(Number(span?.duplicates)).toBe(0);
    expect(Number(span?.gaps)).toBe(0);
  }, 60_000);

  it('brews from the dashboard: photo in the bucket, a coffees row, the page updated live', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(stack.dashboardUrl);
    await expect
      .poll(() => page.getByTestId('connection-state').textContent(), { timeout: 15_000 })
      .toBe('live');
    await expect.poll(() => page.locator('tr[data-device-id]').count(), { timeout: 15_000 }).toBe(3);
    const cupsBefore = Number(await page.getByTestId('coffee-count').textContent());

    await page.getByTestId('brew-coffee-pi-2').click();

    const item = page.locator('[data-testid="coffee-list"] [data-photo-key^="photos/coffee-pi-2/"]');
    await item.first().waitFor({ timeout: 45_000 });
    await expect
      .poll(async () => Number(await page.getByTestId('coffee-count').textContent()))
      .toBe(cupsBefore + 1);
    const photoKey = (await item.first().getAttribute('data-photo-key')) as string;
    // The local analyzer cannot tell glasses, beard or mustache: the page must say so.
    expect(await item.first().textContent()).toContain('unknown');

    const s3 = createS3Client({
      region: 'us-east-1',
      endpoint: stack.s3Endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCAL_PHOTO_BUCKET, Key: photoKey }));
    expect(head.ContentLength).toBeGreaterThan(1000);
    s3.destroy();

    const coffees = await eventually('the coffee in the lake', async () => {
      const rows = await queryLake<{ device_id: string; analyzer: string; eyeglasses: boolean | null }>(
        stack.lakeDir,
        stack.databaseUrl,
        `SELECT device_id, analyzer, eyeglasses FROM coffees WHERE photo_key = '${photoKey}'`,
      );
      return rows.length === 1 ? rows : undefined;
    });
    expect(coffees[0]).toMatchObject({ device_id: 'coffee-pi-2', analyzer: 'local', eyeglasses: null });

    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard.png'), fullPage: true });
    await page.close();

    // Readable on a phone: one column, nothing wider than the screen.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.goto(stack.dashboardUrl);
    await phone.locator(`[data-photo-key="${photoKey}"]`).first().waitFor({ timeout: 15_000 });
    // A string, evaluated in the page: the test workspace has no DOM types.
    const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-phone.png'), fullPage: true });
    await phone.close();
  }, 90_000);

  it('Photo now on the remote-control panel queues a capture-photo job through the jobs path, with no console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(stack.dashboardUrl);
    await expect.poll(() => page.locator('#control-section').isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('control-device').locator('option').count()).toBe(3);

    await page.getByTestId('control-device').selectOption('coffee-pi-3');
    await page.getByTestId('photo-now').click();

    await expect
      .poll(() => page.getByTestId('photo-message').textContent(), { timeout: 10_000 })
      .toMatch(/^job capture-photo-[0-9a-f]{8} queued$/);
    const job = (await stack.control.listJobs()).find((candidate) =>
      candidate.targets.includes('coffee-pi-3'),
    );
    expect(job).toMatchObject({ operation: 'capture-photo', targets: ['coffee-pi-3'] });
    expect((await stack.control.describeJob(job?.jobId ?? '')).document).toEqual({
      operation: 'capture-photo',
    });
    // Whatever the device has made of it by now, the list shows the execution's status.
    await expect
      .poll(() => page.getByTestId(`job-status-${job?.jobId}`).textContent(), { timeout: 10_000 })
      .toMatch(/^(QUEUED|IN_PROGRESS|SUCCEEDED|FAILED|REJECTED)$/);
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
