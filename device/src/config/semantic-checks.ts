import { buildTopic, THING_NAME_PATTERN, TopicError, topicPrefixProblem } from '@coffee-iot/shared';
import { provisioningProblems } from './provisioning-config.js';

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
  problems.push(...coffeeProblems(document, originOf));
  problems.push(...provisioningProblems(document, originOf));
  return problems;
}

function valueAt(document: Record<string, unknown>, group: string, key: string): unknown {
  const parent = document[group];
  return typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[key] : undefined;
}

/** Camera and upload rules that span several keys. */
function coffeeProblems(
  document: Record<string, unknown>,
  originOf: (path: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  const rotation = numberAt(document, 'camera', 'rotation');
  if (rotation !== undefined && rotation !== 0 && rotation !== 180) {
    problems.push(
      `camera.rotation: expected 0 or 180, got ${rotation}${suffix(originOf('camera.rotation'))}`,
    );
  }
  const bucket = valueAt(document, 'upload', 'bucket');
  const devStatic = valueAt(document, 'upload', 'devStaticCredentials') === true;
  if (devStatic) {
    if (document.mock !== true) {
      problems.push(
        `upload.devStaticCredentials: only for the local stack (mock: true); a device gets temporary credentials from credentials.endpoint${suffix(originOf('upload.devStaticCredentials'))}`,
      );
    }
    if (typeof valueAt(document, 'upload', 'endpoint') !== 'string') {
      problems.push('upload.devStaticCredentials: needs upload.endpoint (the local S3 stand-in)');
    }
  } else if (typeof bucket === 'string') {
    for (const key of ['endpoint', 'roleAlias'] as const) {
      if (typeof valueAt(document, 'credentials', key) !== 'string') {
        problems.push(
          `credentials.${key}: required when upload.bucket is set (photos are uploaded with temporary credentials from the AWS IoT credential provider)`,
        );
      }
    }
  }
  return problems;
}
