import { CREATE_CERTIFICATE_FROM_CSR_TOPICS } from './aws-iot/provisioning.js';
import { CONFIG_SHADOW_NAME } from './aws-iot/shadow.js';
import { TopicError } from './errors.js';
import { THING_NAME_PATTERN, topicPrefixProblem } from './topics.js';

/**
 * What one device may do over MQTT, written once: the IoT policy in infra builds its
 * iot:Publish / iot:Subscribe / iot:Receive resources from these, and the local broker enforces
 * the same lists, so the two cannot drift.
 *
 * The entries use IoT policy syntax: `*` stands for any run of characters and `?` for one
 * character; MQTT's `+` and `#` inside a subscription filter are plain characters, so a filter
 * is allowed only when its text matches (`dt/coffee-iot/+/telemetry` does not match
 * `dt/coffee-iot/coffee-pi-1/*`, which is how IoT Core refuses it).
 */
export interface DeviceTopicGrants {
  /** iot:Publish (`topic/…` resources): topics the device may publish to. */
  readonly publish: readonly string[];
  /** iot:Subscribe (`topicfilter/…` resources): filters, as written in SUBSCRIBE, it may use. */
  readonly subscribe: readonly string[];
  /** iot:Receive (`topic/…` resources): topics whose messages may be delivered to it. */
  readonly receive: readonly string[];
}

export type DeviceTopicAction = keyof DeviceTopicGrants;

/** An IoT policy variable such as `${iot:Connection.Thing.ThingName}`, resolved by IoT Core. */
const POLICY_VARIABLE = /^\$\{[A-Za-z0-9:._-]+\}$/;
const POLICY_WILDCARDS = /[*?]/;

/**
 * The grants of one thing: everything under `{prefix}/{thing}/`, its own `config` named shadow,
 * its own jobs, and CreateCertificateFromCsr (certificate rotation; IoT Core answers only the
 * connection that asked). Nothing of another thing's, no classic shadow. `thing` is a thing name,
 * or the policy variable that IoT Core replaces with the connected thing's name.
 */
export function deviceTopicGrants(prefix: string, thing: string): DeviceTopicGrants {
  const problem = topicPrefixProblem(prefix);
  if (problem) throw new TopicError(`topic prefix "${prefix}" ${problem}`);
  // A `*` or `?` here would widen every grant built from it to other devices' topics.
  if (POLICY_WILDCARDS.test(prefix)) {
    throw new TopicError(`topic prefix "${prefix}" must not contain IoT policy wildcards (*, ?)`);
  }
  if (!THING_NAME_PATTERN.test(thing) && !POLICY_VARIABLE.test(thing)) {
    throw new TopicError(
      `thing "${thing}" must match ${THING_NAME_PATTERN} or be an IoT policy variable like \${iot:Connection.Thing.ThingName}`,
    );
  }
  const own = `${prefix}/${thing}/*`;
  const shadow = `$aws/things/${thing}/shadow/name/${CONFIG_SHADOW_NAME}`;
  const jobs = `$aws/things/${thing}/jobs`;
  const csr = CREATE_CERTIFICATE_FROM_CSR_TOPICS;
  // Requests are published to exact topics; answers arrive below them.
  const answers = [`${shadow}/get/*`, `${shadow}/update/*`, `${jobs}/*`, `${csr.request}/*`];
  return {
    publish: [own, `${shadow}/get`, `${shadow}/update`, `${jobs}/*`, csr.request],
    subscribe: [own, ...answers],
    receive: [own, ...answers],
  };
}

/** Whether `value` (a topic or a filter's text) matches one IoT policy resource pattern. */
export function policyPatternMatches(pattern: string, value: string): boolean {
  // Iterative glob match with backtracking to the last `*`: linear for our one-star patterns.
  let p = 0;
  let v = 0;
  let star = -1;
  let starV = 0;
  while (v < value.length) {
    const c = pattern[p];
    if (c === '*') {
      star = p++;
      starV = v;
    } else if (c !== undefined && (c === '?' || c === value[v])) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether the grants allow `action` on `topicOrFilter`. */
export function deviceMay(
  grants: DeviceTopicGrants,
  action: DeviceTopicAction,
  topicOrFilter: string,
): boolean {
  return grants[action].some((pattern) => policyPatternMatches(pattern, topicOrFilter));
}
