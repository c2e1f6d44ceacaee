import type { CoffeeView } from '../dashboard/api-types.js';

const yesNo = (value: boolean | null) => (value === null ? 'unknown' : value ? 'yes' : 'no');

/** One terminal line per analysed coffee; unknown stays "unknown", never a guess. */
export function describeCoffee(coffee: CoffeeView): string {
  const where = `☕ ${coffee.deviceId}`;
  if (coffee.status !== 'analyzed')
    return `${where}: photo ${coffee.status}${coffee.reason ? ` (${coffee.reason})` : ''}`;
  const faces = coffee.faceCount ?? 0;
  const parts = [
    `${faces} face${faces === 1 ? '' : 's'}`,
    `smile ${yesNo(coffee.smile)}`,
    `glasses ${yesNo(coffee.eyeglasses)}`,
    `beard ${yesNo(coffee.beard)}`,
    ...(coffee.ageLow !== null && coffee.ageHigh !== null ? [`age ${coffee.ageLow}–${coffee.ageHigh}`] : []),
  ];
  return `${where}: ${parts.join(', ')} (${coffee.analyzer ?? 'no'} analyzer)`;
}
