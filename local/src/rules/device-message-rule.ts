import { ruleErrorRecord } from '@coffee-iot/cloud/lake';
import type { Logger } from '@coffee-iot/device';
import {
  IDENTITY_MISMATCH_REASON,
  identityMismatchProblem,
  type TopicKind,
  type ValidationResult,
  validateCoffeeEvent,
  validateHealthMessage,
} from '@coffee-iot/shared';
import type { MessageArrival } from './message-arrival.js';
import { payloadObject } from './payload-object.js';
import type { RuleErrorSink } from './rule-error-sink.js';

/** The kinds this rule checks; telemetry is the telemetry rule's and the lake's. */
export type DeviceMessageKind = Exclude<TopicKind, 'telemetry'>;

export const DEVICE_MESSAGE_RULE_NAMES: Readonly<Record<DeviceMessageKind, string>> = {
  health: 'coffee_iot_health',
  coffee: 'coffee_iot_coffee_events',
};

/** Each kind's shared v1 contract. */
const CONTRACTS: Readonly<Record<DeviceMessageKind, (value: unknown) => ValidationResult<unknown>>> = {
  health: validateHealthMessage,
  coffee: validateCoffeeEvent,
};

/** Where an admitted message goes next, for error records. */
const CONSUMERS: Readonly<Record<DeviceMessageKind, string>> = {
  health: 'dashboard device status',
  coffee: 'coffee events',
};

export interface DeviceMessageRuleOptions {
  logger: Logger;
  /** The error action; without one a refused message is logged and counted only. */
  errors?: RuleErrorSink;
}

export interface DeviceMessageRuleCounters {
  matched: number;
  admitted: number;
  /** Not a JSON object in UTF-8, no string deviceId, or not its kind's v1 contract. */
  malformed: number;
  /** A deviceId other than the topic's thing: refused, never shown or stored under either. */
  identityMismatches: number;
}

/**
 * Health and coffee messages before the local stack uses them (dashboard, database): the topic
 * is the device's identity (the thing policy binds it to the certificate), so a payload whose
 * `deviceId` names another device is refused with "deviceId does not match topic", as is one
 * that is not a JSON object; each refusal is counted, logged and written to the lake's
 * errors/rule/ like a malformed telemetry message. An admitted message also meets its kind's
 * shared v1 contract (health-v1, coffee-event-v1), so the dashboard never draws a half message;
 * one that does not is refused as malformed, with every problem named.
 */
export class DeviceMessageRule {
  readonly counters: DeviceMessageRuleCounters = {
    matched: 0,
    admitted: 0,
    malformed: 0,
    identityMismatches: 0,
  };

  constructor(private readonly options: DeviceMessageRuleOptions) {}

  /** The message as a JSON object when it may be used, null when it was refused. */
  admit(
    kind: DeviceMessageKind,
    thingName: string,
    payload: Uint8Array,
    arrival: MessageArrival,
  ): Record<string, unknown> | null {
    this.counters.matched += 1;
    const parsed = payloadObject(payload);
    if (!parsed.ok) {
      this.counters.malformed += 1;
      this.refuse(kind, thingName, payload, arrival, parsed.reason);
      return null;
    }
    const { deviceId } = parsed.value;
    if (typeof deviceId !== 'string') {
      this.counters.malformed += 1;
      this.refuse(
        kind,
        thingName,
        payload,
        arrival,
        `/deviceId: must be a string, got ${JSON.stringify(deviceId)}`,
      );
      return null;
    }
    if (deviceId !== thingName) {
      this.counters.identityMismatches += 1;
      this.refuse(kind, thingName, payload, arrival, identityMismatchProblem(deviceId, thingName));
      return null;
    }
    const contract = CONTRACTS[kind](parsed.value);
    if (!contract.ok) {
      this.counters.malformed += 1;
      this.refuse(kind, thingName, payload, arrival, contract.problems.join('; '));
      return null;
    }
    this.counters.admitted += 1;
    return parsed.value;
  }

  private refuse(
    kind: DeviceMessageKind,
    thingName: string,
    payload: Uint8Array,
    arrival: MessageArrival,
    reason: string,
  ): void {
    this.options.logger.warn(
      { thingName, topic: arrival.topic, clientId: arrival.clientId, reason },
      reason.startsWith(IDENTITY_MISMATCH_REASON)
        ? `${kind} message refused: its deviceId is not the topic's thing`
        : `${kind} message refused: not a valid ${kind} message; device status not updated`,
    );
    this.options.errors?.refuse(
      ruleErrorRecord({
        ruleName: DEVICE_MESSAGE_RULE_NAMES[kind],
        topic: arrival.topic,
        clientId: arrival.clientId,
        payload,
        arrivedAt: arrival.arrivedAt,
        reason,
        failedAction: 'PayloadCheck',
        failedResource: CONSUMERS[kind],
      }),
    );
  }
}
