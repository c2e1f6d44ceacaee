import { type SqlDialect, sqlString } from './sql-dialect.js';

/**
 * Which coffee rows the export leaves out because their photo URL is not a valid `s3://` or
 * `https://` URL, and why. Old data may hold any photo key (empty, with a newline, longer than S3
 * allows), so the rule is checked row by row in SQL — the same SQL for DuckDB and Athena — and
 * every row left out is counted under the first reason that applies.
 *
 * The patterns use only what RE2 (DuckDB), Joni/Java (Athena) and JavaScript read alike. Joni's
 * `^`/`$` match at line breaks, so control characters are refused first, by a containment check
 * that needs no anchors; after that every URL is one line and the anchors mean the same everywhere.
 */
export const PHOTO_URL_PROBLEMS = Object.freeze({
  'missing-photo-key': 'the coffee has no photo key',
  'control-character': 'the photo URL holds a control character (newline, tab, NUL …)',
  'not-s3-or-https': 'the photo URL is neither s3:// nor https://',
  'invalid-bucket-name': 'the bucket name breaks the S3 bucket naming rules',
  'empty-object-key': 'the photo key is empty',
  'object-key-too-long': 'the photo key is longer than the 1,024 bytes S3 allows',
  'invalid-https-url': 'the https:// URL has no valid host name, or holds a space',
});
export type PhotoUrlProblem = keyof typeof PHOTO_URL_PROBLEMS;
export const PHOTO_URL_PROBLEM_CODES = Object.freeze(Object.keys(PHOTO_URL_PROBLEMS) as PhotoUrlProblem[]);

export const S3_KEY_MAX_BYTES = 1024;

// C0 controls, DEL, and the characters Java counts as line breaks (NEL, LINE and PARAGRAPH
// SEPARATOR), written as themselves so no engine has to agree on an escape for them.
const CONTROL_CHARACTER = '[\\x00-\\x1f\\x7f\u0085\u2028\u2029]';
const SCHEME = '^(s3|https)://';
const S3_SCHEME = '^s3://';
const S3_BUCKET = '^s3://([^/]*)';
const S3_KEY = '^s3://[^/]*/(.*)$';

/**
 * S3's general purpose bucket naming rules: 3–63 characters; lower-case letters, digits, dots and
 * hyphens; a letter or digit at both ends; no two adjacent dots; not an IP address; none of the
 * reserved prefixes and suffixes.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
const BUCKET_RULES: readonly { pattern: string; mustMatch: boolean }[] = Object.freeze([
  { pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', mustMatch: true },
  { pattern: '\\.\\.', mustMatch: false },
  { pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$', mustMatch: false },
  { pattern: '^(xn--|sthree-|amzn-s3-demo-)', mustMatch: false },
  { pattern: '(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$', mustMatch: false },
]);

/** A DNS host name (labels of letters, digits and inner hyphens), an optional port, then a path. */
const HTTPS_URL =
  '^https://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?([/?#][^ ]*)?$';

/** Why `bucket` is not a valid S3 bucket name, or undefined when it is. */
export function bucketNameProblem(bucket: string): string | undefined {
  const broken = BUCKET_RULES.some(
    ({ pattern, mustMatch }) => new RegExp(pattern).test(bucket) !== mustMatch,
  );
  return broken
    ? `"${bucket}" is not a valid S3 bucket name (3-63 lower-case letters, digits, dots or hyphens, ` +
        'starting and ending with a letter or digit, no "..", not an IP address)'
    : undefined;
}

/** The photo URL of a coffee row: the photo key under the photo bucket. */
export function photoUrlSql(photoKeyExpr: string, bucketLiteral: string): string {
  return `('s3://' || ${bucketLiteral} || '/' || ${photoKeyExpr})`;
}

/**
 * A SQL expression giving the first problem code of the URL `urlExpr`, or NULL for a valid URL.
 * `urlExpr` is evaluated several times: pass a column, not a costly expression.
 */
export function photoUrlProblemSql(urlExpr: string, dialect: SqlDialect): string {
  const like = (expr: string, pattern: string) => dialect.regexpLike(expr, pattern);
  const bucket = `regexp_extract(${urlExpr}, ${sqlString(S3_BUCKET)}, 1)`;
  // No match gives '' in DuckDB and NULL in Athena: coalesce makes them one.
  const key = `regexp_extract(${urlExpr}, ${sqlString(S3_KEY)}, 1)`;
  const badBucket = BUCKET_RULES.map(({ pattern, mustMatch }) =>
    mustMatch ? `NOT ${like(bucket, pattern)}` : like(bucket, pattern),
  ).join(' OR ');
  const when = (condition: string, problem: PhotoUrlProblem) => `WHEN ${condition} THEN '${problem}'`;
  return [
    'CASE',
    when(`${urlExpr} IS NULL`, 'missing-photo-key'),
    when(like(urlExpr, CONTROL_CHARACTER), 'control-character'),
    when(`NOT ${like(urlExpr, SCHEME)}`, 'not-s3-or-https'),
    when(`${like(urlExpr, S3_SCHEME)} AND (${badBucket})`, 'invalid-bucket-name'),
    when(`${like(urlExpr, S3_SCHEME)} AND coalesce(${key}, '') = ''`, 'empty-object-key'),
    when(
      `${like(urlExpr, S3_SCHEME)} AND ${dialect.byteLength(key)} > ${S3_KEY_MAX_BYTES}`,
      'object-key-too-long',
    ),
    when(`NOT ${like(urlExpr, S3_SCHEME)} AND NOT ${like(urlExpr, HTTPS_URL)}`, 'invalid-https-url'),
    'ELSE NULL END',
  ].join(' ');
}
