import { buildTopic, THING_NAME_PATTERN, TopicError, topicPrefixProblem } from '@coffee-iot/shared';

function suffix(origin: string | undefined): string {
  return origin ? ` (from ${origin})` : '';
}

function numberAt(document: Record<string, unknown>, group: string, key: string): number | undefined {
  const parent = document[group];
  if (typeof parent !== 'object' || parent === null) return undefined;
  const value = (parent as Record<string, unknown>)[key];
  return typeof value === 'number' ? value : undefined;
}

/**
 * Rules JSON Schema cannot express. Each looks only at values of the right type, so a key
 * the schema already rejected is not reported twice.
 */
export function semanticProblems(
  document: Record<string, unknown>,
  originOf: (path: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  const { topicPrefix, thingName } = document;
  if (typeof topicPrefix === 'string') {
    const problem = topicPrefixProblem(topicPrefix);
    if (problem) {
      problems.push(
        `topicPrefix: ${problem}, got ${JSON.stringify(topicPrefix)}${suffix(originOf('topicPrefix'))}`,
      );
    } else if (typeof thingName === 'string' && THING_NAME_PATTERN.test(thingName)) {
      try {
        // The longest kind: if telemetry fits IoT Core's topic limits, every kind does.
        buildTopic({ prefix: topicPrefix, thingName, kind: 'telemetry' });
      } catch (error) {
        if (!(error instanceof TopicError)) throw error;
        problems.push(`topicPrefix: ${error.message}${suffix(originOf('topicPrefix'))}`);
      }
    }
  }
  const minMs = numberAt(document, 'reconnect', 'minMs');
  const maxMs = numberAt(document, 'reconnect', 'maxMs');
  if (minMs !== undefined && maxMs !== undefined && minMs > maxMs) {
    problems.push(
      `reconnect.minMs: ${minMs} is greater than reconnect.maxMs (${maxMs}); expected minMs <= maxMs${suffix(
        originOf('reconnect.minMs'),
      )}`,
    );
  }
  return problems;
}
