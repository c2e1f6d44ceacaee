// With many devices (a fleet of 25) the telemetry section shows one page of cards at a time,
// chosen from a select, so a phone draws six cards rather than twenty-five.

export const CARDS_PER_PAGE = 6;

export interface DevicePage {
  /** "dev-01 – dev-06" */
  label: string;
  deviceIds: string[];
}

/** `deviceIds` (already sorted) cut into pages of `size`. */
export function devicePages(deviceIds: readonly string[], size = CARDS_PER_PAGE): DevicePage[] {
  const pages: DevicePage[] = [];
  for (let i = 0; i < deviceIds.length; i += size) {
    const ids = deviceIds.slice(i, i + size);
    const first = ids[0] ?? '';
    const last = ids.at(-1) ?? first;
    pages.push({ label: first === last ? first : `${first} – ${last}`, deviceIds: ids });
  }
  return pages;
}
