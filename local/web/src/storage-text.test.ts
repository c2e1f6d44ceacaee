import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from './api.js';
import { formatClock } from './format.js';
import { storageNotice } from './storage-text.js';

const none = { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 };
const device: DeviceStatus = {
  deviceId: 'coffee-pi-1',
  online: true,
  lastSeenAt: null,
  spoolDepth: 0,
  droppedReadings: 0,
  outboxDepth: 0,
  outboxDropped: 0,
  owner: null,
  location: null,
};

describe('storageNotice', () => {
  it('says nothing for a healthy device or one whose agent does not report storage', () => {
    expect(storageNotice(device)).toEqual({ text: '', title: '' });
    expect(
      storageNotice({ ...device, unstoredReadings: none, unrecordedPresses: none, storageFailure: null }),
    ).toEqual({ text: '', title: '' });
  });

  it('names a failure in progress, the readings lost and the presses not recorded, with causes in the tooltip', () => {
    const since = '2026-03-05T10:00:03.000Z';
    const notice = storageNotice({
      ...device,
      storageFailure: { cause: 'ENOSPC', path: '/var/lib/coffee-iot/spool.sqlite', since },
      unstoredReadings: { ...none, ENOSPC: 43, EIO: 1 },
      unrecordedPresses: { ...none, ENOSPC: 1 },
    });
    expect(notice.text).toBe(
      `disk full: losing readings since ${formatClock(Date.parse(since))} · 44 readings not stored · 1 press not recorded`,
    );
    expect(notice.title).toBe(
      [
        `ENOSPC writing /var/lib/coffee-iot/spool.sqlite since ${since}`,
        'readings not stored: ENOSPC 43, EIO 1',
        'presses not recorded: ENOSPC 1',
      ].join('\n'),
    );
  });

  it('keeps reporting past losses after the disk has recovered', () => {
    expect(
      storageNotice({ ...device, unstoredReadings: { ...none, EROFS: 2 }, storageFailure: null }).text,
    ).toBe('2 readings not stored');
  });
});
