import type { FirehoseTransformationResultRecord } from 'aws-lambda';

/**
 * Lambda's synchronous response limit, 6 MB (6,291,456 bytes), which the Firehose transformation
 * response must stay under, JSON envelope included
 * (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
 */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

/** `{"records":[` + `]}`: the envelope around the entries. */
export const RESPONSE_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ records: [] }));

/** Bytes of base64 text for `bytes` bytes of data (with padding). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * Bytes one answer adds to the response as Lambda serializes it (JSON.stringify, no spaces),
 * without its comma, when its `data` is `dataLength` characters of base64 (which JSON never
 * escapes). Exact, so the budget can be filled to the byte without serializing anything twice.
 */
export function entryBytes(
  entry: Omit<FirehoseTransformationResultRecord, 'data'>,
  dataLength: number,
): number {
  return Buffer.byteLength(JSON.stringify({ ...entry, data: '' })) + dataLength;
}

/** The response's bytes for entries of `entryTotal` bytes in all: envelope plus commas. */
export function responseBytes(entryCount: number, entryTotal: number): number {
  return RESPONSE_ENVELOPE_BYTES + entryTotal + Math.max(0, entryCount - 1);
}

// Printable ASCII without `"` and `\`: JSON writes such a string as it is, one byte a character.
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Bytes of JSON.stringify(text) as UTF-8, without serializing the usual (plain ASCII) string. */
export function jsonStringBytes(text: string): number {
  return PLAIN_JSON_TEXT.test(text) ? text.length + 2 : Buffer.byteLength(JSON.stringify(text));
}

/** `{"recordId":` `,"result":` `,"data":""}` around an entry's values. */
const ENTRY_FRAME_BYTES = Buffer.byteLength('{"recordId":,"result":,"data":""}');
/** `,"metadata":{"partitionKeys":` … `}` around the partition keys' JSON. */
const METADATA_FRAME_BYTES = Buffer.byteLength(',"metadata":{"partitionKeys":}');

/**
 * entryBytes without building the entry nor serializing it: `recordIdBytes` is
 * jsonStringBytes(recordId), `partitionKeysBytes` the JSON bytes of metadata.partitionKeys
 * (undefined: no metadata), the result one of Firehose's three (plain ASCII).
 */
export function answerBytes(
  recordIdBytes: number,
  result: string,
  partitionKeysBytes: number | undefined,
  dataLength: number,
): number {
  const metadata = partitionKeysBytes === undefined ? 0 : METADATA_FRAME_BYTES + partitionKeysBytes;
  return ENTRY_FRAME_BYTES + recordIdBytes + result.length + 2 + metadata + dataLength;
}
