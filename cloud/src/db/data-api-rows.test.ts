import { describe, expect, it } from 'vitest';
import { DataApiResultError, toRows } from './data-api-rows.js';

describe('toRows', () => {
  it('keys rows by label and types values as mysql2 does (times padded to the column scale)', () => {
    const columns = [
      { name: 'analyzed_at', label: 'analyzed_at', typeName: 'DATETIME', scale: 3 },
      { name: 'captured_at', label: 'at', typeName: 'DATETIME', scale: 3 },
      { name: 'smile', label: 'smile', typeName: 'TINYINT' },
      { name: 'flag', label: 'flag', typeName: 'BIT' },
      { name: 'total', label: 'total', typeName: 'DECIMAL' },
      { name: 'confidence', label: 'confidence', typeName: 'DOUBLE' },
      { name: 'reason', label: 'reason', typeName: 'VARCHAR' },
      { name: 'raw', label: 'raw', typeName: 'BLOB' },
    ];
    const rows = toRows(
      [
        [
          { stringValue: '2026-03-02 08:15:32.5' },
          { stringValue: '2026-03-02 08:15:30' },
          { longValue: 1 },
          { booleanValue: true },
          { stringValue: '12.50' },
          { doubleValue: 97.25 },
          { isNull: true },
          { blobValue: new Uint8Array([1, 2]) },
        ],
      ],
      columns,
    );
    expect(rows).toEqual([
      {
        analyzed_at: '2026-03-02 08:15:32.500',
        at: '2026-03-02 08:15:30.000',
        smile: 1,
        flag: 1,
        total: '12.50',
        confidence: 97.25,
        reason: null,
        raw: Buffer.from([1, 2]),
      },
    ]);
  });

  it('answers no rows for a statement without a result set, and refuses records without metadata', () => {
    expect(toRows(undefined, undefined)).toEqual([]);
    expect(() => toRows([[{ longValue: 1 }]], undefined)).toThrow(DataApiResultError);
  });
});
