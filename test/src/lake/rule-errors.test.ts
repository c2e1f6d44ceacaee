import { describe, expect, it } from 'vitest';
import {
  parseRuleErrorLines,
  RULE_ERROR_S3_KEY_TEMPLATE,
  RuleErrorShapeError,
  ruleErrorPayload,
  ruleErrorReason,
  ruleErrorRecord,
  ruleErrorsPartitionKey,
} from '../../../cloud/src/lake/rule-errors.js';

const input = {
  ruleName: 'coffee_iot_telemetry',
  topic: 'dt/coffee-iot/coffee-pi-1/telemetry',
  clientId: 'coffee-pi-1',
  arrivedAt: new Date('2026-03-05T10:00:00.250Z'),
  reason: 'payload is not JSON',
  failedAction: 'KinesisAction',
  failedResource: 'coffee-iot-ingest',
};

/** AWS IoT's documented error action message (rule-error-handling.html), pretty-printed as an S3 object. */
const AWS_MESSAGE = JSON.stringify(
  {
    ruleName: 'TestAction',
    topic: 'testme/action',
    cloudwatchTraceId: '7e146a2c-95b5-6caf-98b9-50e3969734c7',
    clientId: 'iotconsole-1511213971966-0',
    base64OriginalPayload: 'ewogICJtZXNzYWdlIjogIkhlbGxvIHZyb20gQVdTIElvVCBjb25zb2xlIgp9',
    failures: [
      { failedAction: 'S3Action', failedResource: 'bucket', errorMessage: 'Failed to put S3 object.' },
    ],
  },
  null,
  2,
);

describe('rule error records', () => {
  it("are AWS IoT's error action message plus arrival, reason and the text of a UTF-8 payload", () => {
    expect(ruleErrorRecord({ ...input, payload: Buffer.from('{"v":NaN}') })).toEqual({
      ruleName: 'coffee_iot_telemetry',
      topic: 'dt/coffee-iot/coffee-pi-1/telemetry',
      clientId: 'coffee-pi-1',
      base64OriginalPayload: Buffer.from('{"v":NaN}').toString('base64'),
      failures: [
        {
          failedAction: 'KinesisAction',
          failedResource: 'coffee-iot-ingest',
          errorMessage: 'payload is not JSON',
        },
      ],
      arrivedAt: '2026-03-05T10:00:00.250Z',
      reason: 'payload is not JSON',
      originalPayload: '{"v":NaN}',
    });
  });

  it('keep bytes that are not UTF-8 in base64 only, exactly', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    const record = ruleErrorRecord({ ...input, payload: bytes });
    expect(record).not.toHaveProperty('originalPayload');
    expect([...ruleErrorPayload(record)]).toEqual([...bytes]);
  });

  it('read back the local NDJSON and an AWS error action object alike', () => {
    const local = [
      ruleErrorRecord({ ...input, payload: Buffer.from('x') }),
      ruleErrorRecord({ ...input, payload: Buffer.from('y') }),
    ];
    const parsedLocal = parseRuleErrorLines(local.map((r) => JSON.stringify(r)).join('\n'));
    expect(parsedLocal).toEqual(local);
    expect(parsedLocal.map(ruleErrorReason)).toEqual(['payload is not JSON', 'payload is not JSON']);

    const [aws] = parseRuleErrorLines(AWS_MESSAGE);
    expect(aws && ruleErrorReason(aws)).toBe('Failed to put S3 object.');
    expect(aws && ruleErrorPayload(aws).toString('utf8')).toContain('Hello');
  });

  it('refuse a line that is not an error action message, naming it', () => {
    expect(() => parseRuleErrorLines('{"id":"raw/x:1","reason":"r"}\n{"id":"raw/x:2"}')).toThrow(
      RuleErrorShapeError,
    );
    expect(() => parseRuleErrorLines('{"ruleName":"r"}\nnot json')).toThrow(/line 2 is not JSON/);
  });

  it('live under errors/rule/ by ingest hour, locally and in the S3 key template', () => {
    const partition = { ingest_year: '2026', ingest_month: '03', ingest_day: '05', ingest_hour: '10' };
    expect(ruleErrorsPartitionKey(partition)).toBe(
      'errors/rule/ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=10',
    );
    const utc = (pattern: string) => `\${parse_time("${pattern}", timestamp(), "UTC")}`;
    expect(RULE_ERROR_S3_KEY_TEMPLATE).toBe(
      `errors/rule/ingest_year=${utc('yyyy')}/ingest_month=${utc('MM')}/ingest_day=${utc('dd')}` +
        `/ingest_hour=${utc('HH')}/\${newuuid()}.json`,
    );
  });
});
