// What the devices table says about a device's storage: readings it could not store and presses
// it could not record (from health), and a failure in progress. No DOM here, so it is unit-tested.
import type { DeviceStatus, StorageCauseCounts } from './api.js';
import { formatClock, parseTime } from './format.js';

const CAUSES = ['ENOSPC', 'EIO', 'EROFS', 'other'] as const;

/** What an operator reads for each cause. */
const CAUSE_TEXT: Record<(typeof CAUSES)[number], string> = {
  ENOSPC: 'disk full',
  EIO: 'I/O error',
  EROFS: 'read-only filesystem',
  other: 'storage error',
};

export interface StorageNotice {
  /** One line for the device cell; empty when there is nothing to report. */
  text: string;
  /** Details for the tooltip: the counts per cause and the failing path. */
  title: string;
}

export function storageNotice(device: DeviceStatus): StorageNotice {
  const parts: string[] = [];
  const details: string[] = [];
  const failure = device.storageFailure ?? null;
  if (failure) {
    const sinceMs = parseTime(failure.since);
    parts.push(
      `${CAUSE_TEXT[failure.cause]}: losing readings${sinceMs === null ? '' : ` since ${formatClock(sinceMs)}`}`,
    );
    details.push(`${failure.cause} writing ${failure.path} since ${failure.since}`);
  }
  const readings = total(device.unstoredReadings);
  if (readings > 0) {
    parts.push(`${readings} ${readings === 1 ? 'reading' : 'readings'} not stored`);
    details.push(`readings not stored: ${byCause(device.unstoredReadings)}`);
  }
  const presses = total(device.unrecordedPresses);
  if (presses > 0) {
    parts.push(`${presses} ${presses === 1 ? 'press' : 'presses'} not recorded`);
    details.push(`presses not recorded: ${byCause(device.unrecordedPresses)}`);
  }
  return { text: parts.join(' · '), title: details.join('\n') };
}

function total(counts: StorageCauseCounts | null | undefined): number {
  return counts ? CAUSES.reduce((sum, cause) => sum + counts[cause], 0) : 0;
}

function byCause(counts: StorageCauseCounts | null | undefined): string {
  return CAUSES.filter((cause) => (counts?.[cause] ?? 0) > 0)
    .map((cause) => `${cause} ${counts?.[cause]}`)
    .join(', ');
}
