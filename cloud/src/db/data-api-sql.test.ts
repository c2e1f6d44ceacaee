import { describe, expect, it } from 'vitest';
import { DataApiParameterError, toDataApiValue, toNamedStatement } from './data-api-sql.js';

describe('toNamedStatement', () => {
  it('names the placeholders in order and leaves quoted text and comments alone', () => {
    const statement = toNamedStatement(
      "select ? as a, 'what?' as b, `odd?col`, \"x?\" /* ? */ from t where c = ? -- ?\n and d = 'it''s ?' and e = ?",
      ['one', 2, null],
    );
    expect(statement.sql).toBe(
      "select :p1 as a, 'what?' as b, `odd?col`, \"x?\" /* ? */ from t where c = :p2 -- ?\n and d = 'it''s ?' and e = :p3",
    );
    expect(statement.parameters).toEqual([
      { name: 'p1', value: { stringValue: 'one' } },
      { name: 'p2', value: { longValue: 2 } },
      { name: 'p3', value: { isNull: true } },
    ]);
  });

  it('refuses a count of values that does not match the placeholders', () => {
    expect(() => toNamedStatement('select ?', [])).toThrow(DataApiParameterError);
  });
});

describe('toDataApiValue', () => {
  it('types each value as mysql2 would send it', () => {
    expect(toDataApiValue(99.5, 1)).toEqual({ doubleValue: 99.5 });
    expect(toDataApiValue(-3, 1)).toEqual({ longValue: -3 });
    expect(toDataApiValue(true, 1)).toEqual({ booleanValue: true });
    expect(toDataApiValue(undefined, 1)).toEqual({ isNull: true });
    expect(toDataApiValue(12n, 1)).toEqual({ longValue: 12 });
    // Past 2^53 a JSON number would be rounded on the wire: the digits go as text.
    expect(toDataApiValue(9_007_199_254_740_993n, 1)).toEqual({ stringValue: '9007199254740993' });
    expect(toDataApiValue(Buffer.from('ab'), 1)).toEqual({ blobValue: Buffer.from('ab') });
  });

  it('refuses values MySQL has no type for, naming the parameter', () => {
    expect(() => toDataApiValue(Number.NaN, 4)).toThrow(/parameter 4 is NaN/);
    expect(() => toDataApiValue(new Date(0), 2)).toThrow(/parameter 2 is \[object Date\]/);
  });
});
