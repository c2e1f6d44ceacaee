import { classifyDriverFailure } from '../../driver-failure.js';
import { type CheckResult, describeError, errorCode, fail, ok, warn } from '../check-result.js';
import type { DoctorFs, I2cProbe } from '../doctor-ports.js';

export const I2C_BUS = 1;
export const I2C_DEVICE = `/dev/i2c-${I2C_BUS}`;

/** The Sense HAT's sensors and the addresses each may answer on. */
export const SENSE_HAT_SENSORS: readonly { part: string; addresses: readonly number[] }[] = [
  { part: 'LSM9DS1 magnetometer', addresses: [0x1c, 0x1e] },
  { part: 'LSM9DS1 accelerometer/gyroscope', addresses: [0x6a, 0x6b] },
  { part: 'LPS25H pressure', addresses: [0x5c] },
  { part: 'HTS221 humidity', addresses: [0x5f] },
];

const ENABLE_I2C =
  'enable I2C: sudo raspi-config nonint do_i2c 0 (or raspi-config > Interface Options > I2C), then reboot';
const SEAT_HAT =
  'power off, seat the HAT on all 40 pins, check dtoverlay=rpi-sense in /boot/firmware/config.txt, power on';
const AS_AGENT_USER =
  "run doctor as the agent's user (sudo -u coffee-iot coffee-iot-agent doctor); that user must be in the i2c group";

const hex = (address: number) => `0x${address.toString(16).padStart(2, '0')}`;

/** The I2C bus exists, then every Sense HAT sensor answers on one of its addresses. */
export async function checkSenseHatI2c(fs: DoctorFs, probe: I2cProbe): Promise<CheckResult[]> {
  if (!(await fs.exists(I2C_DEVICE))) {
    return [fail('I2C bus', `${I2C_DEVICE} does not exist: I2C is not enabled`, ENABLE_I2C)];
  }
  const results = [ok('I2C bus', `${I2C_DEVICE} present`)];
  const found: string[] = [];
  const missing: string[] = [];
  for (const { part, addresses } of SENSE_HAT_SENSORS) {
    let at: number | undefined;
    for (const address of addresses) {
      let answer: Awaited<ReturnType<I2cProbe>>;
      try {
        answer = await probe(I2C_BUS, address);
      } catch (error) {
        if (classifyDriverFailure(error) === 'module-missing') {
          results.push(
            warn(
              'Sense HAT',
              `cannot probe the bus: ${describeError(error)}`,
              'reinstall from the release tarball (the ioctl module probes the bus)',
            ),
          );
        } else {
          const code = errorCode(error);
          results.push(
            fail(
              'Sense HAT',
              `cannot open ${I2C_DEVICE}: ${describeError(error)}`,
              code === 'EACCES' || code === 'EPERM' ? AS_AGENT_USER : ENABLE_I2C,
            ),
          );
        }
        return results;
      }
      if (answer !== 'no-answer') {
        at = address;
        break;
      }
    }
    if (at === undefined) missing.push(`${part} (${addresses.map(hex).join('/')})`);
    else found.push(`${part} ${hex(at)}`);
  }
  if (missing.length === 0) results.push(ok('Sense HAT', `answering: ${found.join(', ')}`));
  else if (found.length === 0) {
    results.push(fail('Sense HAT', `no Sense HAT sensor answers on I2C bus ${I2C_BUS}`, SEAT_HAT));
  } else {
    results.push(fail('Sense HAT', `not answering: ${missing.join(', ')}`, SEAT_HAT));
  }
  return results;
}
