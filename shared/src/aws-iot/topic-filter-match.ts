/**
 * Whether an MQTT topic matches a subscription filter (MQTT 3.1.1 §4.7): `+` matches one level,
 * a trailing `#` any number including none, and wildcards at the first level never match a topic
 * starting with `$` (so `#` does not receive `$aws/…`).
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return i === filterLevels.length - 1;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
