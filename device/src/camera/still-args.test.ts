import { describe, expect, it } from 'vitest';
import { resolveCameraSettings } from './camera-port.js';
import { buildStillArgs } from './still-args.js';

describe('buildStillArgs', () => {
  it('asks for a JPEG of the configured size and quality, without preview, after the settle time', () => {
    const args = buildStillArgs(resolveCameraSettings({ width: 1920, height: 1080, quality: 85 }), '.c.tmp');
    expect(args).toEqual([
      '--output',
      '.c.tmp',
      '--encoding',
      'jpg',
      '--width',
      '1920',
      '--height',
      '1080',
      '--quality',
      '85',
      '--nopreview',
      '--timeout',
      '1000',
    ]);
  });

  it('shoots the first frame with --immediate when settleMs is 0', () => {
    const args = buildStillArgs(resolveCameraSettings({ settleMs: 0 }), 'x.tmp');
    expect(args.slice(-3)).toEqual(['--immediate', '--timeout', '1']);
  });

  it('passes rotation and flips only when asked', () => {
    const plain = buildStillArgs(resolveCameraSettings(), 'x.tmp');
    expect(plain).not.toContain('--rotation');
    expect(plain).not.toContain('--hflip');
    expect(plain).not.toContain('--vflip');

    const turned = buildStillArgs(
      resolveCameraSettings({ rotation: 180, hflip: true, vflip: true }),
      'x.tmp',
    );
    expect(turned.join(' ')).toContain('--rotation 180 --hflip --vflip');
  });

  it('refuses an output name the camera programs would mangle (printf format, 128-byte buffer)', () => {
    const settings = resolveCameraSettings();
    expect(() => buildStillArgs(settings, 'photo%d.tmp')).toThrow(RangeError);
    expect(() => buildStillArgs(settings, 'x'.repeat(120))).toThrow(RangeError);
  });
});
