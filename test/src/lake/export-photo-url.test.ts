import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bucketNameProblem,
  photoUrlProblemSql,
  S3_KEY_MAX_BYTES,
} from '../../../cloud/src/lake/export/photo-url-rule.js';
import {
  ATHENA_DIALECT,
  DUCKDB_DIALECT,
  type SqlDialect,
  sqlString,
} from '../../../cloud/src/lake/export/sql-dialect.js';

/** A SQL text value; NUL cannot travel inside SQL text (DuckDB's C API ends the statement there). */
function sqlText(value: string): string {
  return value
    .split('\0')
    .map((part) => sqlString(part))
    .join(' || chr(0) || ');
}

/** URL → the first problem the rule names (null: valid), checked by DuckDB running the rule's SQL. */
const CASES: readonly [string | null, string | null][] = [
  ['s3://coffee-photos/photos/pi-a/2026/03/04/e1.jpg', null],
  ['s3://my.bucket-1/photos/a photo with spaces.jpg', null],
  [`s3://coffee-photos/${'k'.repeat(S3_KEY_MAX_BYTES)}`, null],
  ['https://example.com/photos/e1.jpg', null],
  ['https://cdn.example.co.uk:8443/p/e1.jpg?size=large#top', null],
  ['https://example.com', null],
  [null, 'missing-photo-key'],
  ['s3://coffee-photos/photos/x.jpg\nrm -rf /', 'control-character'],
  ['s3://coffee-photos/photos/x\t.jpg', 'control-character'],
  ['s3://coffee-photos/photos/x\u2028.jpg', 'control-character'],
  ['s3://coffee-photos/photos/x\u0000.jpg', 'control-character'],
  ['http://example.com/e1.jpg', 'not-s3-or-https'],
  ['ftp://example.com/e1.jpg', 'not-s3-or-https'],
  ['photos/pi-a/e1.jpg', 'not-s3-or-https'],
  ['', 'not-s3-or-https'],
  ['s3://Coffee_Photos/e1.jpg', 'invalid-bucket-name'],
  ['s3://ab/e1.jpg', 'invalid-bucket-name'],
  [`s3://${'b'.repeat(64)}/e1.jpg`, 'invalid-bucket-name'],
  ['s3://-coffee/e1.jpg', 'invalid-bucket-name'],
  ['s3://coffee-/e1.jpg', 'invalid-bucket-name'],
  ['s3://coffee..photos/e1.jpg', 'invalid-bucket-name'],
  ['s3://192.168.1.10/e1.jpg', 'invalid-bucket-name'],
  ['s3://xn--coffee/e1.jpg', 'invalid-bucket-name'],
  ['s3://coffee-s3alias/e1.jpg', 'invalid-bucket-name'],
  ['s3://coffee--ol-s3/e1.jpg', 'invalid-bucket-name'],
  ['s3:///e1.jpg', 'invalid-bucket-name'],
  ['s3://coffee-photos/', 'empty-object-key'],
  ['s3://coffee-photos', 'empty-object-key'],
  [`s3://coffee-photos/${'é'.repeat(513)}`, 'object-key-too-long'],
  ['https://exa mple.com/e1.jpg', 'invalid-https-url'],
  ['https://example.com/a photo.jpg', 'invalid-https-url'],
  ['https://-example.com/e1.jpg', 'invalid-https-url'],
  ['https:///e1.jpg', 'invalid-https-url'],
  ['https://example..com/e1.jpg', 'invalid-https-url'],
];

describe('the photo URL rule', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  /** The rule's verdict on every case, with the rule's SQL spelt for `dialect`, run by DuckDB. */
  async function verdicts(dialect: SqlDialect): Promise<unknown[]> {
    const values = CASES.map(([url], index) => `(${index}, ${url === null ? 'NULL' : sqlText(url)})`).join(
      ', ',
    );
    const reader = await connection.runAndReadAll(
      `SELECT ${photoUrlProblemSql('u.url', dialect)} AS problem FROM (VALUES ${values}) u(i, url) ORDER BY u.i`,
    );
    return reader.getRowObjectsJS().map((row) => row.problem);
  }

  it('names the first problem of each URL, run as DuckDB SQL', async () => {
    const problems = await verdicts(DUCKDB_DIALECT);
    expect(CASES.map(([url], index) => [url, problems[index]])).toEqual(CASES);
  });

  it('gives the same verdicts spelt for Athena (regexp_like, UTF-8 byte length)', async () => {
    // Trino's functions, emulated in DuckDB: regexp_like finds a match anywhere, like
    // regexp_matches; length(to_utf8(s)) counts bytes (a list as long as the string's bytes).
    await connection.run('CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)');
    await connection.run('CREATE OR REPLACE MACRO to_utf8(s) AS range(strlen(s))');
    const athena = photoUrlProblemSql('u.url', ATHENA_DIALECT);
    expect(athena).not.toContain('regexp_matches');
    expect(athena).not.toContain('strlen');
    expect(await verdicts(ATHENA_DIALECT)).toEqual(CASES.map(([, problem]) => problem));
  });

  it('checks the photo bucket name in TypeScript with the same bucket rules', () => {
    for (const valid of ['coffee-photos', 'my.bucket-1', 'abc', 'b'.repeat(63)]) {
      expect(bucketNameProblem(valid), valid).toBeUndefined();
    }
    for (const invalid of [
      'Coffee_Photos',
      'ab',
      'b'.repeat(64),
      'coffee..photos',
      '192.168.1.10',
      'sthree-x',
      'x.mrap',
      '',
    ]) {
      expect(bucketNameProblem(invalid), invalid).toMatch(/not a valid S3 bucket name/);
    }
  });
});
