import { describe, expect, it } from 'vitest';
import { AnalyzerUnavailableError } from '../analysis/face-analyzer.js';
import { FakeFaceAnalyzer, faceAnalysis, noFaceAnalysis } from './fake-analyzer.js';

const PHOTO = { bucket: 'coffee-photos', key: 'photos/coffee-pi-1/2026/03/14/a.jpg' };

describe('FakeFaceAnalyzer', () => {
  it('answers queued outcomes in order, then its default', async () => {
    const smiling = faceAnalysis({ smile: true, smileConfidence: 98 });
    const fake = new FakeFaceAnalyzer()
      .willReturn(smiling)
      .willThrow(new AnalyzerUnavailableError('throttled'));
    expect(fake.pending).toBe(2);
    expect(await fake.analyze(PHOTO)).toEqual(smiling);
    await expect(fake.analyze(PHOTO)).rejects.toThrow('throttled');
    expect(await fake.analyze(PHOTO)).toEqual(noFaceAnalysis());
    expect(fake.pending).toBe(0);
  });

  it('records every call, failed ones too', async () => {
    const fake = new FakeFaceAnalyzer().willThrow(new AnalyzerUnavailableError('down'));
    await fake.analyze(PHOTO).catch(() => undefined);
    await fake.analyze({ ...PHOTO, key: 'photos/coffee-pi-1/2026/03/14/b.jpg' });
    expect(fake.calls.map((call) => call.key)).toEqual([PHOTO.key, 'photos/coffee-pi-1/2026/03/14/b.jpg']);
  });

  it('takes a configurable name and default result', async () => {
    const fake = new FakeFaceAnalyzer({ name: 'local', defaultResult: faceAnalysis({}, 'local') });
    expect(fake.name).toBe('local');
    expect(await fake.analyze(PHOTO)).toMatchObject({
      analyzer: 'local',
      personPresent: true,
      faceCount: 1,
      smile: null,
    });
  });

  it('hands out copies, so a caller cannot change what the next one gets', async () => {
    const fake = new FakeFaceAnalyzer();
    const first = await fake.analyze(PHOTO);
    first.faceCount = 99;
    expect((await fake.analyze(PHOTO)).faceCount).toBe(0);
  });
});
