#!/usr/bin/env node
// Renders the demo photos (device/assets/demo-photos/*.png, CC0/public domain, see PROVENANCE.md)
// into camera-sized JPEGs in device/dist/demo-photos/ at build time, so the mock camera serves
// them as they are instead of running the JPEG encoder inside the agent (time and heap).
// Runs after `tsc -b` (it uses the built photo code); the output is a build artefact, not in git.
import { copyFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CAMERA_SETTINGS } from '../dist/camera/camera-port.js';
import { decodePhoto, encodeJpeg, letterbox } from '../dist/camera/photo-canvas.js';

const deviceDir = fileURLToPath(new URL('..', import.meta.url));
const sourceDir = join(deviceDir, 'assets', 'demo-photos');
const outDir = join(deviceDir, 'dist', 'demo-photos');
const { width, height, quality } = DEFAULT_CAMERA_SETTINGS;

await mkdir(outDir, { recursive: true });
const names = (await readdir(sourceDir)).filter((name) =>
  ['.png', '.jpg', '.jpeg'].includes(extname(name).toLowerCase()),
);
for (const name of names) {
  const target = join(outDir, `${basename(name, extname(name))}.jpg`);
  const frame = encodeJpeg(
    letterbox(decodePhoto(await readFile(join(sourceDir, name))), width, height),
    quality,
  );
  await writeFile(`${target}.tmp`, frame);
  await rename(`${target}.tmp`, target);
}
await copyFile(join(sourceDir, 'PROVENANCE.md'), join(outDir, 'PROVENANCE.md'));
process.stdout.write(
  `demo photos: ${names.length} rendered to ${outDir} (${width}x${height}, quality ${quality})\n`,
);
