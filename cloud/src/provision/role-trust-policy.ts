/*
 * Whether a role's trust policy lets one service principal assume it, as far as a policy read
 * on its own can tell. Conditions cannot be evaluated here: an Allow with a condition counts as
 * allowing (conditions such as aws:SourceAccount narrow who may use the service, which is how a
 * careful owner writes it), a Deny with one does not count as denying. Everything else follows
 * IAM's policy grammar: Statement one or a list, Principal "*" or {Service: one or a list},
 * Action or NotAction with * and ? wildcards, compared without case.
 */

/** What a trust policy says of `service` assuming the role. */
export type TrustVerdict =
  | { trusted: true }
  | { trusted: false; reason: 'no statement allows it' | 'a statement denies it' }
  | { trusted: false; reason: 'unreadable'; detail: string };

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: unknown;
}

const ASSUME_ROLE = 'sts:AssumeRole';

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** IAM's action wildcards: * any run of characters, ? one; actions compare without case. */
function actionMatches(pattern: string, action: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, 'i').test(action);
}

function coversAssumeRole(statement: Statement): boolean {
  if (statement.Action !== undefined) {
    return strings(statement.Action).some((pattern) => actionMatches(pattern, ASSUME_ROLE));
  }
  if (statement.NotAction !== undefined) {
    return !strings(statement.NotAction).some((pattern) => actionMatches(pattern, ASSUME_ROLE));
  }
  return false;
}

function namesService(statement: Statement, service: string): boolean {
  const { Principal: principal } = statement;
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return strings((principal as { Service?: unknown }).Service).includes(service);
}

/** The document as GetRole answers it: URL-encoded JSON (as IAM sends it), or plain JSON. */
function parse(document: string): { Statement?: unknown } {
  const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('not a JSON object');
  }
  return parsed as { Statement?: unknown };
}

/** Reads `document` (a role's AssumeRolePolicyDocument) for whether `service` may assume the role. */
export function trustVerdict(document: string | undefined, service: string): TrustVerdict {
  if (document === undefined || document === '') {
    return { trusted: false, reason: 'unreadable', detail: 'GetRole answered without a trust policy' };
  }
  let policy: { Statement?: unknown };
  try {
    policy = parse(document);
  } catch (error) {
    return {
      trusted: false,
      reason: 'unreadable',
      detail: `its trust policy is not a JSON policy (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const statements = (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]).filter(
    (statement): statement is Statement => typeof statement === 'object' && statement !== null,
  );
  const applies = (statement: Statement) => namesService(statement, service) && coversAssumeRole(statement);
  const denied = statements.some(
    (statement) => statement.Effect === 'Deny' && statement.Condition === undefined && applies(statement),
  );
  if (denied) return { trusted: false, reason: 'a statement denies it' };
  const allowed = statements.some(
    (statement) => statement.Effect === 'Allow' && statement.NotPrincipal === undefined && applies(statement),
  );
  return allowed ? { trusted: true } : { trusted: false, reason: 'no statement allows it' };
}
