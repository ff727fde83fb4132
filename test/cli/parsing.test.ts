/** The shell's statement splitter and the CSV reader, in process (they are pure functions). */
import { splitStatements } from '../../src/cli/statements';
import { CsvReader, csvValue } from '../../src/cli/csv';
import { csvField, exactRealText, sqlLiteralOf } from '../../src/cli/values';

describe('splitStatements', () => {
  test('semicolons inside strings, quoted names and comments do not end a statement', () => {
    const text = [
      'INSERT INTO t VALUES (\'a;b\', "c;d", [e;f], `g;h`); -- trailing; comment',
      '/* block; comment */ SELECT 1',
      "; ; SELECT 'it''s;' AS x;",
      'SELECT 2',
    ].join('\n');
    expect(splitStatements(text)).toEqual({
      statements: [
        'INSERT INTO t VALUES (\'a;b\', "c;d", [e;f], `g;h`)',
        '-- trailing; comment\n/* block; comment */ SELECT 1',
        "SELECT 'it''s;' AS x",
      ],
      rest: 'SELECT 2',
    });
  });

  test('an unterminated string keeps the statement open', () => {
    expect(splitStatements("SELECT 'abc;\n")).toEqual({ statements: [], rest: "SELECT 'abc;" });
    expect(splitStatements("SELECT 'abc;\ndef';")).toEqual({ statements: ["SELECT 'abc;\ndef'"], rest: '' });
    expect(splitStatements('-- only a comment\n')).toEqual({ statements: [], rest: '' });
  });
});

describe('CsvReader', () => {
  test('quoted fields with commas, doubled quotes and line breaks, in any chunking', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""",\r\n"multi\nline","",plain\nlast,row,end';
    const expected = [
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', null],
      ['multi\nline', '', 'plain'],
      ['last', 'row', 'end'],
    ];
    for (const size of [1, 2, 3, 7, text.length]) {
      const reader = new CsvReader();
      const records: string[][] = [];
      for (let i = 0; i < text.length; i += size) records.push(...reader.push(text.slice(i, i + size)));
      records.push(...reader.end());
      expect(records.map((r) => r.map(csvValue))).toEqual(expected);
    }
  });

  test('what csvField writes, CsvReader reads back', () => {
    const values = ['', 'plain', ' padded ', 'a,b', 'q"q', 'line\nbreak', null];
    const line = values.map(csvField).join(',');
    const reader = new CsvReader();
    const [record] = [...reader.push(`${line}\n`), ...reader.end()];
    expect(record.map(csvValue)).toEqual(values);
  });
});

describe('values', () => {
  test('reals keep every bit and stay reals', () => {
    for (const v of [0.1, 1e300, 5e-324, 2, -1.5e-7, 123456789012345680000]) {
      expect(Number(exactRealText(v))).toBe(v);
      expect(exactRealText(v)).toMatch(/[.e]/);
    }
    expect(exactRealText(-0)).toBe('-0.0');
  });

  test('SQL literals per dialect', () => {
    expect(sqlLiteralOf("it's", 'sqlite')).toBe("'it''s'");
    expect(sqlLiteralOf(Buffer.from([0, 255]), 'sqlite')).toBe("X'00FF'");
    expect(sqlLiteralOf(Buffer.from([0, 255]), 'postgres')).toBe("'\\x00ff'::bytea");
    expect(sqlLiteralOf(true, 'sqlite')).toBe('1');
    expect(sqlLiteralOf(true, 'postgres')).toBe('TRUE');
    expect(sqlLiteralOf(-9223372036854775808n, 'sqlite')).toBe('-9223372036854775808');
    expect(sqlLiteralOf(Infinity, 'sqlite')).toBe('9e999');
    expect(sqlLiteralOf(NaN, 'postgres')).toBe('NULL');
    expect(sqlLiteralOf(['a', 1], 'sqlite')).toBe('\'["a",1]\'');
    expect(sqlLiteralOf(new Date(0), 'postgres')).toBe("'1970-01-01T00:00:00.000Z'");
  });
});
