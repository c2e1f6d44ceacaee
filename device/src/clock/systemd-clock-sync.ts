import type { ClockSyncPort, ClockSyncState } from './clock-sync-port.js';
import { type CommandRunner, nodeCommandRunner, nodeFileExists } from './command-runner.js';

/** systemd-timesyncd creates it at its first successful sync after boot (it lives in tmpfs). */
export const TIMESYNC_SYNCHRONIZED_FILE = '/run/systemd/timesync/synchronized';

export interface SystemdClockSyncOptions {
  run?: CommandRunner;
  exists?: (path: string) => boolean;
  /** timedatectl talks to systemd over D-Bus; a wedged bus must not stall the agent. Default 3000. */
  timeoutMs?: number;
}

/**
 * Asks systemd whether the clock is synchronised.
 *
 * `timedatectl show -p NTPSynchronized --value` comes first because it is the kernel's view now:
 * it turns `no` again after a manual `date -s` or a long loss of NTP, whichever NTP client
 * (timesyncd, chrony, ntpd) runs. The timesyncd file only says "synced at least once this
 * boot" and survives a later manual step, so it is the fallback when timedatectl is missing or
 * fails (a minimal image, D-Bus down). Neither available: `unknown`.
 */
export class SystemdClockSync implements ClockSyncPort {
  readonly name = 'systemd';
  private readonly run: CommandRunner;
  private readonly exists: (path: string) => boolean;
  private readonly timeoutMs: number;

  constructor(options: SystemdClockSyncOptions = {}) {
    this.run = options.run ?? nodeCommandRunner;
    this.exists = options.exists ?? nodeFileExists;
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  async check(): Promise<ClockSyncState> {
    try {
      const { stdout } = await this.run(
        'timedatectl',
        ['show', '-p', 'NTPSynchronized', '--value'],
        this.timeoutMs,
      );
      const answer = stdout.trim();
      if (answer === 'yes') return 'synchronized';
      if (answer === 'no') return 'unsynchronized';
    } catch {
      // Missing binary, no D-Bus, timeout: fall through to the file.
    }
    try {
      if (this.exists(TIMESYNC_SYNCHRONIZED_FILE)) return 'synchronized';
      // timesyncd runs (its directory exists) but has not synced yet.
      if (this.exists('/run/systemd/timesync')) return 'unsynchronized';
    } catch {
      // An unreadable /run is as good as no answer.
    }
    return 'unknown';
  }
}
