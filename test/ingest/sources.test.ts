import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpolateEnv, loadPipelineFile, pipelineSchema, runPipeline, type Pipeline } from '../../src/ingest/index.ts';
import { withWarehouse } from '../helpers.ts';

const pipeline = (p: Record<string, unknown>): Pipeline => pipelineSchema.parse(p);
const productMapping = { product_id: 'sku', name: 'title', list_price: 'price' };

describe('sources', () => {
  it('reads JSON arrays, NDJSON and Parquet with record numbers', async () => {
    await withWarehouse(async (wh, dir) => {
      writeFileSync(join(dir, 'p.json'), JSON.stringify([{ sku: 'A', title: 'Apple', price: 1.5 }, { sku: 'B', title: 'Banana', price: 'two' }]));
      const a = await runPipeline(wh, pipeline({ name: 'pj', source: { type: 'json', path: join(dir, 'p.json') }, entity: 'products', mapping: productMapping, maxQuarantineRatio: 0.5 }));
      expect(a).toMatchObject({ status: 'succeeded', rowsRead: 2, rowsInserted: 1, rowsQuarantined: 1 });
      expect(await wh.all('select row_number, field from quarantine')).toEqual([{ row_number: 2, field: 'list_price' }]);

      writeFileSync(join(dir, 'p.ndjson'), '{"sku":"C","title":"Cherry","price":3}\n{"sku":"D","title":"Date","price":4.25}\n');
      const b = await runPipeline(wh, pipeline({ name: 'pn', source: { type: 'ndjson', path: join(dir, '*.ndjson') }, entity: 'products', mapping: productMapping }));
      expect(b).toMatchObject({ status: 'succeeded', rowsInserted: 2 });

      await wh.run(`copy (select 'E' as sku, 'Elder' as title, 5.5::decimal(10,2) as price) to '${join(dir, 'p.parquet')}' (format parquet)`);
      const c = await runPipeline(wh, pipeline({ name: 'pp', source: { type: 'parquet', path: join(dir, 'p.parquet') }, entity: 'products', mapping: productMapping }));
      expect(c).toMatchObject({ status: 'succeeded', rowsInserted: 1 });
      expect(await wh.all('select product_id, list_price from products order by 1')).toEqual([
        { product_id: 'A', list_price: 1.5 },
        { product_id: 'C', list_price: 3 },
        { product_id: 'D', list_price: 4.25 },
        { product_id: 'E', list_price: 5.5 },
      ]);
    });
  });

  it('reads header-less whitespace-separated text and creates missing customers', async () => {
    await withWarehouse(async (wh, dir) => {
      writeFileSync(join(dir, 'tx.txt'), ' 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n 00018 0002 19970102  2   x\r\n 00021 0003 19970112  1\r\n');
      const p = pipeline({
        name: 'cdnow-like',
        source: { type: 'csv', path: join(dir, 'tx.txt'), delimiter: 'whitespace', header: false, columns: ['master_id', 'sample_id', 'date', 'cds', 'value'] },
        entity: 'orders',
        mode: 'append',
        mapping: {
          order_id: 'master_id',
          customer_id: 'sample_id',
          ordered_at: { from: 'date', format: '%Y%m%d' },
          status: { const: 'completed' },
          total_amount: 'value',
          item_count: 'cds',
        },
        identity: { createMissing: true },
        maxQuarantineRatio: 0.6,
      });
      const r = await runPipeline(wh, p);
      expect(r).toMatchObject({ status: 'succeeded', rowsRead: 4, rowsInserted: 2, rowsQuarantined: 2 });
      expect(await wh.all('select row_number, field, reason from quarantine order by row_number')).toEqual([
        { row_number: 3, field: 'total_amount', reason: "cannot read 'x' as decimal" },
        { row_number: 4, field: null, reason: 'expected 5 fields, found 4' },
      ]);
      expect(await wh.all('select customer_id, ordered_at, total_amount from orders order by ordered_at')).toEqual([
        { customer_id: 1, ordered_at: '1997-01-01T00:00:00.000Z', total_amount: 29.33 },
        { customer_id: 1, ordered_at: '1997-01-18T00:00:00.000Z', total_amount: 29.73 },
      ]);
      expect(await wh.all('select count(*) as n from customers')).toEqual([{ n: 1 }]);
    });
  });

  it('loads incrementally by watermark and detects deletes', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 't.csv');
      const p = pipeline({
        name: 'products-inc',
        source: { type: 'csv', path: file },
        entity: 'campaigns',
        mapping: { campaign_id: 'id', name: 'name', started_at: 'start' },
        deletes: { detect: 'missing' },
      });
      writeFileSync(file, 'id,name,start\nK1,Spring,2024-03-01\nK2,Summer,2024-06-01\n');
      expect(await runPipeline(wh, p)).toMatchObject({ rowsInserted: 2, rowsDeleted: 0 });
      writeFileSync(file, 'id,name,start\nK2,Summer sale,2024-06-01\nK3,Autumn,2024-09-01\n');
      expect(await runPipeline(wh, p)).toMatchObject({ rowsInserted: 1, rowsUpdated: 1, rowsDeleted: 1 });
      expect(await wh.all('select campaign_id, name from campaigns order by 1')).toEqual([
        { campaign_id: 'K2', name: 'Summer sale' },
        { campaign_id: 'K3', name: 'Autumn' },
      ]);

      const tfile = join(dir, 'touch.csv');
      await wh.run("insert into customer_sources values ('mail', 'U1', 1, 'new', null, null, 1, now()); insert into customers (customer_id) values (1)");
      const inc = pipeline({
        name: 'touches',
        system: 'mail',
        source: { type: 'csv', path: tfile },
        entity: 'campaign_touches',
        mapping: { touch_id: 'id', campaign_id: 'campaign', customer_id: 'user', sent_at: 'sent', opened_at: 'opened' },
        incremental: { field: 'sent_at', overlapMinutes: 60 },
        deletes: { detect: 'flag', column: 'deleted' },
      });
      writeFileSync(tfile, 'id,campaign,user,sent,opened,deleted\nT1,K2,U1,2024-06-01 10:00:00,,\nT2,K2,U1,2024-06-02 10:00:00,,\n');
      expect(await runPipeline(wh, inc)).toMatchObject({ status: 'succeeded', rowsInserted: 2 });
      expect(await wh.all("select watermark from pipeline_state where pipeline = 'touches'")).toEqual([{ watermark: '2024-06-02 10:00:00+00' }]);
      // T1 is older than the watermark minus the overlap: skipped even though it changed. T2 is within the overlap.
      writeFileSync(tfile, 'id,campaign,user,sent,opened,deleted\nT1,K2,U1,2024-06-01 10:00:00,2024-06-05 00:00:00,\nT2,K2,U1,2024-06-02 09:30:00,2024-06-03 00:00:00,yes\nT3,K3,U1,2024-06-03 10:00:00,,no\n');
      expect(await runPipeline(wh, inc)).toMatchObject({ status: 'succeeded', rowsInserted: 1, rowsDeleted: 1 });
      expect(await wh.all('select touch_id, opened_at from campaign_touches order by 1')).toEqual([
        { touch_id: 'T1', opened_at: null },
        { touch_id: 'T3', opened_at: null },
      ]);
    });
  });
});

describe('bad input', () => {
  it('fails a missing or empty file with a clear error and leaves the warehouse unchanged', async () => {
    await withWarehouse(async (wh, dir) => {
      const missing = await runPipeline(wh, pipeline({ name: 'x', source: { type: 'csv', path: join(dir, 'nope.csv') }, entity: 'products', mapping: productMapping }));
      expect(missing).toMatchObject({ status: 'failed', error: `${join(dir, 'nope.csv')}: file not found` });
      writeFileSync(join(dir, 'empty.csv'), '');
      const empty = await runPipeline(wh, pipeline({ name: 'x', source: { type: 'csv', path: join(dir, 'empty.csv') }, entity: 'products', mapping: productMapping }));
      expect(empty.error).toMatch(/empty\.csv: file is empty/);
      const none = await runPipeline(wh, pipeline({ name: 'x', source: { type: 'csv', path: join(dir, '*.nothing') }, entity: 'products', mapping: productMapping }));
      expect(none.error).toMatch(/no file matches/);
      expect(await wh.all("select status, count(*) as n from pipeline_runs group by all")).toEqual([{ status: 'failed', n: 3 }]);
      expect(await wh.all('select count(*) as n from products')).toEqual([{ n: 0 }]);
    });
  });

  it('names the pipeline file and mapping key for an unknown source column', async () => {
    await withWarehouse(async (wh, dir) => {
      writeFileSync(join(dir, 'p.csv'), 'sku,title,price\nA,Apple,1\n');
      const r = await runPipeline(wh, pipeline({ name: 'x', source: { type: 'csv', path: join(dir, 'p.csv') }, entity: 'products', mapping: { ...productMapping, name: 'Title' } }), { file: 'pipelines/x.json' });
      expect(r.status).toBe('failed');
      expect(r.error).toBe('pipelines/x.json:mapping.name: source column "Title" does not exist; the source has: sku, title, price (and _row, _file)');
      const flag = await runPipeline(wh, pipeline({ name: 'y', source: { type: 'csv', path: join(dir, 'p.csv') }, entity: 'products', mapping: productMapping, deletes: { detect: 'flag', column: 'gone' } }), { file: 'pipelines/y.json' });
      expect(flag.error).toBe('pipelines/y.json:deletes.column: source column "gone" does not exist; the source has: sku, title, price');
    });
  });

  it('validates pipeline files with key paths and interpolates the environment', () => {
    const { dir, cleanup } = { dir: '/tmp', cleanup: () => undefined };
    const file = join(dir, `crm-pipeline-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ source: { type: 'csv', path: '${DEMO:-data}/p.csv' }, entity: 'products', mapping: { product_id: 'sku', colour: 'c' } }));
    expect(() => loadPipelineFile(file)).toThrow(/mapping\.colour: "colour" is not a field of products; valid fields: product_id, name/);
    writeFileSync(file, JSON.stringify({ source: { type: 'csv', path: 'p.csv' }, entity: 'products', mapping: { product_id: 'sku' }, mode: 'upsert' }));
    expect(() => loadPipelineFile(file)).toThrow(/crm-pipeline-\d+\.json: mode: Invalid option: expected one of "merge"\|"append"\|"replace"/);
    writeFileSync(file, JSON.stringify({ source: { type: 'csv', path: '${DEMO:-data}/p.csv' }, entity: 'products', mapping: { product_id: 'sku' } }));
    expect(loadPipelineFile(file, {}).source).toMatchObject({ path: 'data/p.csv' });
    expect(loadPipelineFile(file, { DEMO: '/x' }).source).toMatchObject({ path: '/x/p.csv' });
    expect(loadPipelineFile(file).name).toBe(`crm-pipeline-${process.pid}`);
    writeFileSync(file, '{ "source": ');
    expect(() => loadPipelineFile(file)).toThrow(/crm-pipeline-\d+\.json: not valid JSON/);
    expect(() => interpolateEnv({ a: ['${NOPE_NOT_SET}'] }, {}, 'f.json')).toThrow('f.json:a.0: environment variable NOPE_NOT_SET is not set');
    cleanup();
  });

  it('refuses a pipeline without its entity\'s required fields', () => {
    const r = pipelineSchema.safeParse({ name: 'o', source: { type: 'csv', path: 'x' }, entity: 'orders', mapping: { order_id: 'id' } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('required field \\"customer_id\\" of orders is not mapped');
  });
});
