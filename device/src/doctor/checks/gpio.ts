import { type CheckResult, describeError, fail, ok } from '../check-result.js';
import type { DoctorFs, GpioLineMapper } from '../doctor-ports.js';

export const GPIO_CHIP = '/dev/gpiochip0';

/** The GPIO character device, and the configured button pin mapped to its sysfs line. */
export async function checkGpio(
  fs: DoctorFs,
  mapLine: GpioLineMapper,
  pin: number | undefined,
): Promise<CheckResult[]> {
  if (pin === undefined) return [ok('GPIO', 'not used: button.pin is unset')];
  if (!(await fs.exists(GPIO_CHIP))) {
    return [
      fail(
        'GPIO chip',
        `${GPIO_CHIP} does not exist`,
        'the button needs a Raspberry Pi kernel with GPIO; unset button.pin on other machines',
      ),
    ];
  }
  const results = [ok('GPIO chip', `${GPIO_CHIP} present`)];
  try {
    const line = await mapLine(pin);
    results.push(ok('button line', `BCM ${pin} is sysfs GPIO ${line.sysfs} on ${line.chip}`));
  } catch (error) {
    results.push(
      fail(
        'button line',
        `BCM ${pin}: ${describeError(error)}`,
        'set button.pin to the BCM number (not the header pin) of a GPIO on the 40-pin header',
      ),
    );
  }
  return results;
}
