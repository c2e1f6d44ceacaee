import { type CheckResult, describeError, errorCode, fail, ok, warn } from '../check-result.js';
import type { CommandRunner, DoctorFs } from '../doctor-ports.js';

/** systemd-timesyncd touches this file once it has synchronised the clock. */
export const TIMESYNC_FLAG = '/run/systemd/timesync/synchronized';

const FIX =
  'sudo timedatectl set-ntp true, and let the Pi reach an NTP server (UDP 123); a Pi has no ' +
  'battery clock and boots with a stale time until then';

/** A Pi without an RTC stamps readings with a stale time until NTP has synchronised it. */
export async function checkClockSync(fs: DoctorFs, run: CommandRunner): Promise<CheckResult> {
  if (await fs.exists(TIMESYNC_FLAG)) return ok('clock', `synchronised (${TIMESYNC_FLAG})`);
  try {
    const result = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
    const answer = result.stdout.trim();
    if (answer === 'yes') return ok('clock', 'synchronised (timedatectl)');
    if (answer === 'no') return fail('clock', 'not synchronised (timedatectl NTPSynchronized=no)', FIX);
    const said = answer || (result.stderr.trim().split('\n')[0] ?? '');
    return warn('clock', `cannot tell: timedatectl answered "${said}"`, FIX);
  } catch (error) {
    const why = errorCode(error) === 'ENOENT' ? 'timedatectl is not installed' : describeError(error);
    return warn('clock', `cannot tell: no ${TIMESYNC_FLAG}, and ${why}`, FIX);
  }
}
