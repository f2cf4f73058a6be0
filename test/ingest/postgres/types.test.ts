import { beforeAll, describe, expect, it } from 'vitest';
import { pipelineSchema, runPipeline, type Pipeline } from '../../../src/ingest/index.ts';
import { readFileSync } from 'node:fs';
import { extractTuning, stagePostgres } from '../../../src/ingest/sources/postgres.ts';
import { withWarehouse } from '../../helpers.ts';
import { usePostgres } from './setup.ts';

// Statements are logged so the parallel extract can be checked from the server's side.
const pgdb = usePostgres({ log_statement: 'all' });

const zoo = `
create type mood as enum ('happy', 'sad', 'it''s complicated');
create domain positive_amount as numeric(12, 2) check (value >= 0);
create table type_zoo (
  id integer primary key,
  amount numeric(12, 2),
  big numeric,
  ratio double precision,
  happened_at timestamptz,
  local_at timestamp,
  day date,
  flag boolean,
  uid uuid,
  doc jsonb,
  tags text[],
  counts integer[],
  feeling mood,
  price money,
  dom positive_amount,
  note text
);
insert into type_zoo values
  (1, 1234.50, 12345678901234567890.123456789, 0.1, '2024-03-10 01:30:00-05', '2024-03-10 01:30:00', '2024-02-29', true,
   'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"b": [1, 2], "a": "x\\"y", "n": null}', '{vip,"two words","comma, inside","quo\\"te",NULL}',
   '{1,2,3}', 'it''s complicated', 12.34, 5, E'line1\\nline2, "quoted"'),
  (2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null),
  (3, -0.01, 0, -1.5e-7, '2024-12-31 23:59:59.123456+00', '2024-11-03 01:30:00', '1999-12-31', false,
   '00000000-0000-0000-0000-000000000000', '[]', '{}', '{}', 'happy', 0, 0, ''),
  (4, 99999999.99, -42, 1e300, '1970-01-01 00:00:00+00', '2024-07-01 23:59:59.5', '2038-01-19', true,
   'ffffffff-ffff-ffff-ffff-ffffffffffff', '"just a string"', '{"{braces}",\\\\}', '{-1,NULL}', 'sad', -3.5, 1234567890.12, 'ünïcødé ✓ 日本');
`;

beforeAll(() => pgdb.sql(zoo));

const pipeline = (p: Record<string, unknown>): Pipeline => pipelineSchema.parse(p);
const source = { type: 'postgres', table: 'type_zoo' } as const;

describe('postgres type mapping', () => {
  it('stages every type as text the contract reads, NULL as NULL and empty as empty', async () => {
    await withWarehouse(async (wh) => {
      const rows = await wh.withConnection(async (q) => {
        const staged = await stagePostgres(q, { ...source, connectionEnv: 'CRM_PG_URL' });
        expect(staged).toEqual({
          files: ['postgres:type_zoo'],
          columns: ['id', 'amount', 'big', 'ratio', 'happened_at', 'local_at', 'day', 'flag', 'uid', 'doc', 'tags', 'counts', 'feeling', 'price', 'dom', 'note'],
          rowsRead: 4,
          broken: 0,
        });
        expect(await q.all('select count(*) as n from stg_broken')).toEqual([{ n: 0 }]);
        return q.all<Record<string, unknown>>('select * exclude (_row) from stg order by id::int');
      });
      expect(rows).toEqual([
        {
          id: '1',
          amount: '1234.50',
          big: '12345678901234567890.123456789',
          ratio: '0.1',
          // timestamptz: the instant in UTC with its offset (01:30 at -05 is 06:30Z)
          happened_at: '2024-03-10 06:30:00+00',
          // timestamp without time zone: as stored; the pipeline's timezone applies when it is cast
          local_at: '2024-03-10 01:30:00',
          day: '2024-02-29',
          flag: 'true',
          uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
          // jsonb is PostgreSQL's normalised JSON text (keys by length, then bytes)
          doc: '{"a": "x\\"y", "b": [1, 2], "n": null}',
          // arrays as JSON; an SQL NULL element is JSON null
          tags: '["vip","two words","comma, inside","quo\\"te",null]',
          counts: '[1,2,3]',
          feeling: "it's complicated",
          price: '12.34',
          dom: '5.00',
          note: 'line1\nline2, "quoted"',
          _file: 'postgres:type_zoo',
        },
        {
          id: '2',
          amount: null,
          big: null,
          ratio: null,
          happened_at: null,
          local_at: null,
          day: null,
          flag: null,
          uid: null,
          doc: null,
          tags: null,
          counts: null,
          feeling: null,
          price: null,
          dom: null,
          note: null,
          _file: 'postgres:type_zoo',
        },
        {
          id: '3',
          amount: '-0.01',
          big: '0',
          ratio: '-1.5e-07',
          happened_at: '2024-12-31 23:59:59.123456+00',
          local_at: '2024-11-03 01:30:00',
          day: '1999-12-31',
          flag: 'false',
          uid: '00000000-0000-0000-0000-000000000000',
          doc: '[]',
          tags: '[]',
          counts: '[]',
          feeling: 'happy',
          price: '0.00',
          dom: '0.00',
          note: '',
          _file: 'postgres:type_zoo',
        },
        {
          id: '4',
          amount: '99999999.99',
          big: '-42',
          ratio: '1e+300',
          happened_at: '1970-01-01 00:00:00+00',
          local_at: '2024-07-01 23:59:59.5',
          day: '2038-01-19',
          flag: 'true',
          uid: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
          doc: '"just a string"',
          tags: '["{braces}","\\\\"]',
          counts: '[-1,null]',
          feeling: 'sad',
          price: '-3.50',
          dom: '1234567890.12',
          note: 'ünïcødé ✓ 日本',
          _file: 'postgres:type_zoo',
        },
      ]);
    });
  });

  it('lands each type in the warehouse with the right value', async () => {
    await withWarehouse(async (wh) => {
      // numeric → DECIMAL, timestamptz → instant, date → DATE, enum → entity enum (mapped), jsonb and text[] → text, NULLs stay NULL
      const deals = pipeline({
        name: 'zoo-deals',
        source,
        entity: 'deals',
        mapping: {
          deal_id: 'id',
          name: 'note',
          pipeline: { const: 'Types' },
          stage: { const: 'Zoo' },
          status: { const: 'open' },
          forecast_category: { from: 'feeling', map: { happy: 'commit', sad: 'omitted', "it's complicated": 'best_case' } },
          amount: 'amount',
          currency: 'uid',
          created_at: { const: '2024-01-01T00:00:00Z' },
          closed_at: 'happened_at',
          expected_close_date: 'day',
          source: 'doc',
          lost_reason: 'tags',
        },
        maxQuarantineRatio: 0.5,
      });
      const r = await runPipeline(wh, deals);
      // amount has a minimum of 0: row 3's -0.01 is rejected
      expect(r).toMatchObject({ status: 'succeeded', rowsRead: 4, rowsInserted: 3, rowsQuarantined: 1 });
      expect(await wh.all('select row_number, field, reason from quarantine')).toEqual([
        { row_number: 3, field: 'amount', reason: 'value -0.01 is below the minimum 0' },
      ]);
      expect(
        await wh.all('select deal_id, name, forecast_category, amount, currency, closed_at, expected_close_date, source, lost_reason from deals order by deal_id'),
      ).toEqual([
        {
          deal_id: '1',
          name: 'line1\nline2, "quoted"',
          forecast_category: 'best_case',
          amount: 1234.5,
          currency: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
          closed_at: '2024-03-10T06:30:00.000Z',
          expected_close_date: '2024-02-29',
          source: '{"a": "x\\"y", "b": [1, 2], "n": null}',
          lost_reason: '["vip","two words","comma, inside","quo\\"te",null]',
        },
        { deal_id: '2', name: null, forecast_category: null, amount: null, currency: null, closed_at: null, expected_close_date: null, source: null, lost_reason: null },
        {
          deal_id: '4',
          name: 'ünïcødé ✓ 日本',
          forecast_category: 'omitted',
          amount: 99999999.99,
          currency: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
          closed_at: '1970-01-01T00:00:00.000Z',
          expected_close_date: '2038-01-19',
          source: '"just a string"',
          lost_reason: '["{braces}","\\\\"]',
        },
      ]);
      // The JSON text of jsonb and text[] reads back as JSON in DuckDB.
      expect(await wh.all("select json_extract_string(source, '$.a') as a, (lost_reason::json)->>1 as second from deals where deal_id = '1'")).toEqual([{ a: 'x"y', second: 'two words' }]);

      // boolean → BOOLEAN, timestamp without time zone → instant in the pipeline's zone, money and a domain → DECIMAL
      const customers = pipeline({
        name: 'zoo-customers',
        system: 'zoo',
        source,
        entity: 'customers',
        timezone: 'America/New_York',
        mapping: { customer_id: 'id', email_opt_in: 'flag', acquired_at: 'local_at', job_title: 'counts', first_name: 'big', last_name: 'ratio' },
      });
      expect(await runPipeline(wh, customers)).toMatchObject({ status: 'succeeded', rowsInserted: 4, rowsQuarantined: 0 });
      expect(await wh.all('select email_opt_in, acquired_at, job_title, first_name, last_name from customers order by customer_id')).toEqual([
        // 2024-03-10 01:30 in New York is EST (-05), before that day's 02:00 switch
        { email_opt_in: true, acquired_at: '2024-03-10T06:30:00.000Z', job_title: '[1,2,3]', first_name: '12345678901234567890.123456789', last_name: '0.1' },
        { email_opt_in: null, acquired_at: null, job_title: null, first_name: null, last_name: null },
        // 2024-11-03 01:30 happens twice in New York; the contract's cast (DuckDB) takes the second (EST, -05)
        { email_opt_in: false, acquired_at: '2024-11-03T06:30:00.000Z', job_title: '[]', first_name: '0', last_name: '-1.5e-07' },
        { email_opt_in: true, acquired_at: '2024-07-02T03:59:59.500Z', job_title: '[-1,null]', first_name: '-42', last_name: '1e+300' },
      ]);

      const products = pipeline({ name: 'zoo-products', source, entity: 'products', mapping: { product_id: 'id', list_price: 'price', unit_cost: 'dom', category: 'feeling', is_active: 'flag' } });
      const pr = await runPipeline(wh, { ...products, maxQuarantineRatio: 0.5 });
      // money -3.50 is below list_price's minimum 0
      expect(pr).toMatchObject({ status: 'succeeded', rowsInserted: 3, rowsQuarantined: 1 });
      expect(await wh.all('select product_id, list_price, unit_cost, category, is_active from products order by product_id')).toEqual([
        { product_id: '1', list_price: 12.34, unit_cost: 5, category: "it's complicated", is_active: true },
        { product_id: '2', list_price: null, unit_cost: null, category: null, is_active: null },
        { product_id: '3', list_price: 0, unit_cost: 0, category: 'happy', is_active: false },
      ]);
    });
  });

  it('reads a query source and labels it postgres:query', async () => {
    await withWarehouse(async (wh) => {
      const p = pipeline({
        name: 'zoo-query',
        source: { type: 'postgres', query: 'select id::text || \'-q\' as code, upper(feeling::text) as mood_name from type_zoo where feeling is not null;  ' },
        entity: 'products',
        mapping: { product_id: 'code', name: 'mood_name' },
      });
      expect(await runPipeline(wh, p)).toMatchObject({ status: 'succeeded', rowsRead: 3, rowsInserted: 3 });
      expect(await wh.all('select product_id, name from products order by 1')).toEqual([
        { product_id: '1-q', name: "IT'S COMPLICATED" },
        { product_id: '3-q', name: 'HAPPY' },
        { product_id: '4-q', name: 'SAD' },
      ]);
      expect(await wh.all('select source from pipeline_runs')).toEqual([{ source: 'postgres:query' }]);
    });
  });

  it('reads a large table as parallel page ranges in one exported snapshot, each row once', async () => {
    await pgdb.sql(`create table big (id integer primary key, pad text); insert into big select i, repeat('x', 200) from generate_series(1, 3000) i`);
    const saved = { ...extractTuning };
    extractTuning.parallelMinPages = 10;
    try {
      await withWarehouse(async (wh) => {
        await wh.withConnection(async (q) => {
          const staged = await stagePostgres(q, { type: 'postgres', connectionEnv: 'CRM_PG_URL', table: 'big' });
          expect(staged).toMatchObject({ files: ['postgres:big'], columns: ['id', 'pad'], rowsRead: 3000 });
          expect(await q.all('select count(distinct id) as ids, sum(id::int) as total, min(_row) as first, max(_row) as last, count(distinct _row) as rows from stg')).toEqual([
            { ids: 3000, total: 4501500, first: 1, last: 3000, rows: 3000 },
          ]);
          // The session setting used for reading is put back.
          expect(await q.all("select current_setting('preserve_insertion_order') as v")).toEqual([{ v: true }]);
        });
      });
    } finally {
      Object.assign(extractTuning, saved);
    }
    const log = readFileSync(pgdb.get().log, 'utf8');
    const copies = log.split('\n').filter((l) => /statement: copy \(select src\."id", src\."pad" from big as src where src\.ctid >= /.test(l));
    expect(copies).toHaveLength(3);
    expect(copies.some((l) => /ctid >= '\(0,0\)'::tid and src\.ctid < '\(\d+,0\)'::tid\) to stdout/.test(l))).toBe(true);
    // the last range is open-ended
    expect(copies.filter((l) => !l.includes('src.ctid <'))).toHaveLength(1);
    expect(log.match(/statement: set transaction snapshot '/g)).toHaveLength(2);
  });

  it('falls back to one stream when the server has no connections left for the parallel ranges', async () => {
    const saved = { ...extractTuning };
    // more helpers than max_connections (100) allows
    Object.assign(extractTuning, { parallelMinPages: 10, parallelStreams: 150 });
    const logBefore = readFileSync(pgdb.get().log, 'utf8').length;
    try {
      await withWarehouse(async (wh) => {
        await wh.withConnection(async (q) => {
          const staged = await stagePostgres(q, { type: 'postgres', connectionEnv: 'CRM_PG_URL', table: 'big' });
          expect(staged.rowsRead).toBe(3000);
          expect(await q.all('select count(distinct id) as ids from stg')).toEqual([{ ids: 3000 }]);
        });
      });
    } finally {
      Object.assign(extractTuning, saved);
    }
    const log = readFileSync(pgdb.get().log, 'utf8').slice(logBefore);
    expect(log).toContain('too many clients already');
    const copies = log.split('\n').filter((l) => l.includes('statement: copy (select src."id", src."pad" from big as src'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).not.toContain('ctid');
  });
});
