import { TopicError } from './errors.js';
import { IOT_CORE_LIMITS } from './limits.js';

export const DEFAULT_TOPIC_PREFIX = 'dt/coffee-iot';

/** The message kinds a device publishes, one topic each (AWS topic design: `dt/` for data). */
export const TOPIC_KINDS = ['telemetry', 'coffee', 'health'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** AWS IoT thing names: 1–128 of letters, digits, colon, underscore, hyphen. */
export const THING_NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,128}$/;

/** Returns a problem description for a topic prefix, or null when it is usable. */
export function topicPrefixProblem(prefix: string): string | null {
  if (prefix === '') return 'must not be empty';
  if (prefix.startsWith('/') || prefix.endsWith('/')) return 'must not start or end with "/"';
  if (prefix.includes('//')) return 'must not contain empty levels ("//")';
  if (/[#+]/.test(prefix) || prefix.includes('\0')) return 'must not contain MQTT wildcards (+, #) or NUL';
  if (prefix.startsWith('$')) return 'must not start with "$" (reserved topics)';
  return null;
}

export interface TopicAddress {
  prefix: string;
  thingName: string;
  kind: TopicKind;
}

/** Builds `{prefix}/{thingName}/{kind}`, enforcing IoT Core's topic length and depth limits. */
export function buildTopic({ prefix, thingName, kind }: TopicAddress): string {
  const prefixProblem = topicPrefixProblem(prefix);
  if (prefixProblem) throw new TopicError(`topic prefix "${prefix}" ${prefixProblem}`);
  if (!THING_NAME_PATTERN.test(thingName)) {
    throw new TopicError(`thing name "${thingName}" must match ${THING_NAME_PATTERN}`);
  }
  const topic = `${prefix}/${thingName}/${kind}`;
  if (Buffer.byteLength(topic) > IOT_CORE_LIMITS.maxTopicBytes) {
    throw new TopicError(`topic "${topic}" is longer than ${IOT_CORE_LIMITS.maxTopicBytes} bytes`);
  }
  const slashes = topic.split('/').length - 1;
  if (slashes > IOT_CORE_LIMITS.maxTopicSlashes) {
    throw new TopicError(
      `topic "${topic}" has ${slashes} levels separators; IoT Core allows ${IOT_CORE_LIMITS.maxTopicSlashes}`,
    );
  }
  return topic;
}

/** Subscription filter for one kind across every device under a prefix, e.g. `dt/coffee-iot/+/telemetry`. */
export function topicFilter(prefix: string, kind: TopicKind | '+'): string {
  const prefixProblem = topicPrefixProblem(prefix);
  if (prefixProblem) throw new TopicError(`topic prefix "${prefix}" ${prefixProblem}`);
  return `${prefix}/+/${kind}`;
}

/** Splits a concrete topic back into its parts; throws TopicError when it is not ours. */
export function parseTopic(topic: string, prefix: string): TopicAddress {
  if (!topic.startsWith(`${prefix}/`))
    throw new TopicError(`topic "${topic}" is not under prefix "${prefix}"`);
  const rest = topic.slice(prefix.length + 1).split('/');
  const [thingName, kind] = rest;
  if (rest.length !== 2 || thingName === undefined || kind === undefined) {
    throw new TopicError(`topic "${topic}" is not {prefix}/{thingName}/{kind}`);
  }
  if (!THING_NAME_PATTERN.test(thingName)) throw new TopicError(`topic "${topic}" has an invalid thing name`);
  if (!(TOPIC_KINDS as readonly string[]).includes(kind)) {
    throw new TopicError(`topic "${topic}" has unknown kind "${kind}" (expected ${TOPIC_KINDS.join(', ')})`);
  }
  return { prefix, thingName, kind: kind as TopicKind };
}
