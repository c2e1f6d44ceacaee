import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The built camera (npm test builds dist/ first): only there does the frame worker exist.
const { MockCamera } = await import('../../../device/dist/camera/mock-camera.js');
const { checkJpeg } = await import('../../../device/src/camera/jpeg-check.js');

describe('MockCamera rendering in a worker thread (built agent)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-mock-worker-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('produces a camera-sized JPEG from the demo photos', async () => {
    const camera = new MockCamera({ settings: { width: 640, height: 480 } });
    const photo = await camera.capture(join(dir, 'shot.jpg'));
    expect(checkJpeg(await readFile(photo.path))).toMatchObject({ ok: true, width: 640, height: 480 });
  });

  it('reports a photo the worker cannot decode as CameraUnavailableError naming the file', async () => {
    const photos = join(dir, 'photos');
    await mkdir(photos);
    await writeFile(join(photos, 'broken.png'), 'not a png at all');
    const camera = new MockCamera({ mockDir: photos });
    await expect(camera.capture(join(dir, 'shot.jpg'))).rejects.toMatchObject({
      name: 'CameraUnavailableError',
      message: expect.stringContaining('broken.png'),
    });
  });
});
