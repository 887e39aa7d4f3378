import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_ROWS, tablesOfFlux, tablesOfJsonLines, tableOfSql } from '../../src/servers/answers';

async function* linesOf(text: string): AsyncGenerator<string> {
  for (const line of text.split('\n')) yield line.replace(/\r$/, '');
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('Flux annotated CSV', () => {
  it('blocks of other schemas, defaults, quoted cells with commas, quotes and line breaks', async () => {
    const csv = [
      '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string',
      '#group,false,false,true,true,false,false,true,true,true',
      '#default,_result,,,,,,,,',
      ',result,table,_start,_stop,_time,_value,_field,_measurement,room',
      ',,0,1970-01-01T00:00:00Z,2030-01-01T00:00:00Z,2024-01-01T00:00:00Z,"a, ""quoted""',
      'text",note,log,hall',
      '',
      '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string',
      '#group,false,false,true,true,false,false,true,true',
      '#default,_result,,,,,,,',
      ',result,table,_start,_stop,_time,_value,_field,_measurement',
      ',,1,1970-01-01T00:00:00Z,2030-01-01T00:00:00Z,2024-01-01T00:00:01.5Z,2.5,temp,air',
      ',,1,1970-01-01T00:00:00Z,2030-01-01T00:00:00Z,2024-01-01T00:00:02Z,,temp,air',
      '',
    ].join('\r\n');
    const tables = await collect(tablesOfFlux(linesOf(csv), 'ms', 1024 * 1024));
    assert.deepEqual(tables, [
      {
        name: 'log',
        tags: { _field: 'note', room: 'hall' },
        columns: ['time', '_value'],
        values: [[1704067200000, 'a, "quoted"\ntext']],
      },
      {
        name: 'air',
        tags: { _field: 'temp' },
        columns: ['time', '_value'],
        values: [
          [1704067201500, 2.5],
          [1704067202000, null],
        ],
      },
    ]);
  });

  it('a group column named __proto__ is a tag of the table like any other, not its prototype', async () => {
    const csv = [
      '#datatype,string,long,dateTime:RFC3339,double,string,string',
      '#group,false,false,false,false,true,true',
      '#default,_result,,,,,',
      ',result,table,_time,_value,_measurement,__proto__',
      ',,0,2024-01-01T00:00:00Z,1.5,air,hall',
      '',
    ].join('\n');
    const [table] = await collect(tablesOfFlux(linesOf(csv), 'ms', 1024 * 1024));
    assert.deepEqual(Object.entries(table?.tags ?? {}), [['__proto__', 'hall']]);
    assert.equal(Object.getPrototypeOf(table?.tags), Object.prototype);
  });

  it('long cells of up to 20 digits are whole numbers, exact; a longer one fails the query, named', async () => {
    const csv = (cell: string): string =>
      [
        '#datatype,string,long,unsignedLong',
        '#group,false,false,false',
        '#default,_result,,',
        ',result,table,_value',
        `,,0,${cell}`,
        '',
      ].join('\n');
    const [table] = await collect(tablesOfFlux(linesOf(csv('18446744073709551615')), undefined, 1024 * 1024));
    assert.deepEqual(table?.values, [[18446744073709551615n]]);
    await assert.rejects(
      collect(tablesOfFlux(linesOf(csv(`1${'0'.repeat(100_000)}`)), undefined, 1024 * 1024)),
      /a cell of type unsignedLong in the Flux answer is not a whole number of at most 20 digits/,
    );
  });

  it('an error table raises its message', async () => {
    const csv = '#datatype,string,string\n#group,true,true\n#default,,\n,error,reference\n,"type error: missing bucket",897\n';
    await assert.rejects(collect(tablesOfFlux(linesOf(csv), undefined, 1024 * 1024)), /query failed: type error: missing bucket/);
  });
});

describe('InfluxDB 3 JSON lines', () => {
  it('columns as the rows have them (nulls are left out), tables of at most CHUNK_ROWS rows', async () => {
    const rows = Array.from({ length: CHUNK_ROWS + 1 }, (_, i) =>
      i === 0 ? '{"time":"2024-01-01T00:00:00","a":1}' : `{"b":"x","time":"2024-01-01T00:00:00.5"}`,
    );
    const tables = await collect(tablesOfJsonLines(linesOf(rows.join('\n')), 'm', 's'));
    assert.equal(tables.length, 2);
    assert.deepEqual(tables[0]?.columns, ['time', 'a', 'b']);
    assert.deepEqual(tables[0]?.values[0], [1704067200, 1, null]);
    assert.deepEqual(tables[1], { name: 'm', columns: ['b', 'time'], values: [['x', 1704067200]] });
  });

  it('the table a SQL query reads names its answer', () => {
    assert.equal(tableOfSql('SELECT * FROM "my table" WHERE x = 1'), 'my table');
    assert.equal(tableOfSql('select avg(v) from cpu group by host'), 'cpu');
    assert.equal(tableOfSql('SELECT 1'), '');
  });
});
