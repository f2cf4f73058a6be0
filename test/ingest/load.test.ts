import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineSchema, runPipeline, type Pipeline } from '../../src/ingest/index.ts';
import type { Warehouse } from '../../src/warehouse/index.ts';
import { withWarehouse } from '../helpers.ts';

const pipeline = (p: Record<string, unknown>): Pipeline => pipelineSchema.parse(p);

const contacts = (path: string) =>
  pipeline({
    name: 'crm-contacts',
    system: 'crm',
    source: { type: 'csv', path },
    entity: 'customers',
    mapping: {
      customer_id: 'Contact ID',
      first_name: { from: 'First Name', transform: ['trim'] },
      email: { from: 'Email Address', transform: ['trim'] },
      phone: 'Phone',
      country: 'Country',
      email_opt_in: 'Email Opt In',
      created_at: { from: 'Created Date', format: '%m/%d/%Y %I:%M %p' },
    },
    timezone: 'America/New_York',
    maxQuarantineRatio: 0.5,
  });

const products = (path: string) =>
  pipeline({ name: 'shop-products', source: { type: 'csv', path }, entity: 'products', mapping: { product_id: 'sku', name: 'title', list_price: 'price' } });

const orders = (path: string) =>
  pipeline({
    name: 'shop-orders',
    system: 'shop',
    source: { type: 'csv', path },
    entity: 'orders',
    mapping: {
      order_id: 'Order',
      customer_id: 'Customer',
      ordered_at: 'Created At',
      status: { from: 'Status', transform: ['lower'], map: { paid: 'completed', refunded: 'returned' } },
      total_amount: 'Total',
    },
    maxQuarantineRatio: 0.5,
  });

async function counts(wh: Warehouse) {
  const [r] = await wh.all<Record<string, number>>(
    'select (select count(*) from customers) as customers, (select count(*) from orders) as orders, (select count(*) from customer_sources) as links',
  );
  return r;
}

describe('runPipeline', () => {
  it('loads, converts types and time zones, quarantines bad rows with file, row and field, and is idempotent', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'contacts.csv');
      writeFileSync(
        file,
        '\uFEFFContact ID,First Name,Email Address,Phone,Country,Email Opt In,Created Date\r\n' +
          'C1, Ann ,Ann@Example.com,+1 (555) 123-4567,US,Yes,01/15/2024 09:30 AM\r\n' +
          'C2,Bob,bob@example,555 000 1111,DE,No,01/16/2024 10:00 PM\r\n' +
          'C3,Cid,cid@example.com,,FR,maybe,13/45/2024 10:00 PM\r\n' +
          'C4,Dee,dee@example.com,,FR,no,02/01/2024 12:00 AM\r\n',
      );
      const r = await runPipeline(wh, contacts(file), { file: 'contacts.json' });
      expect(r.status, r.error).toBe('succeeded');
      expect(r).toMatchObject({ rowsRead: 4, rowsInserted: 2, rowsQuarantined: 2 });
      const q = await wh.all('select source_file, row_number, field, reason from quarantine order by row_number, field');
      expect(q).toEqual([
        { source_file: file, row_number: 3, field: 'email', reason: "malformed e-mail address 'bob@example'" },
        { source_file: file, row_number: 4, field: 'created_at', reason: "cannot read '13/45/2024 10:00 PM' as timestamp in format %m/%d/%Y %I:%M %p" },
        { source_file: file, row_number: 4, field: 'email_opt_in', reason: "cannot read 'maybe' as boolean" },
      ]);
      const rows = await wh.all('select customer_id, first_name, email_norm, phone_norm, email_opt_in, created_at from customers order by customer_id');
      expect(rows).toEqual([
        { customer_id: 1, first_name: 'Ann', email_norm: 'ann@example.com', phone_norm: '5551234567', email_opt_in: true, created_at: '2024-01-15T14:30:00.000Z' },
        { customer_id: 2, first_name: 'Dee', email_norm: 'dee@example.com', phone_norm: null, email_opt_in: false, created_at: '2024-02-01T05:00:00.000Z' },
      ]);
      const again = await runPipeline(wh, contacts(file));
      expect(again).toMatchObject({ status: 'succeeded', rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 2, rowsQuarantined: 2 });
      expect(await counts(wh)).toEqual({ customers: 2, orders: 0, links: 2 });
    });
  });

  it('resolves identities across systems by e-mail and phone, keeping ids stable', async () => {
    await withWarehouse(async (wh, dir) => {
      const crm = join(dir, 'crm.csv');
      writeFileSync(crm, 'Contact ID,First Name,Email Address,Phone,Country,Email Opt In,Created Date\nC1,Ann,ann@example.com,555-123-4567,US,yes,01/15/2024 09:30 AM\nC2,Bob,bob@example.com,,DE,yes,01/15/2024 09:30 AM\n');
      expect((await runPipeline(wh, contacts(crm))).status).toBe('succeeded');
      const shop = join(dir, 'shop.csv');
      writeFileSync(shop, 'id,email,phone,country,accepts\nS9, ANN@EXAMPLE.COM ,,GB,no\nS8,,+1 555 123 4567,,\nS7,new@example.com,,NL,yes\nS6,NEW@example.com,,NL,yes\n');
      const shopPipeline = pipeline({
        name: 'shop-customers',
        system: 'shop',
        source: { type: 'csv', path: shop },
        entity: 'customers',
        mapping: { customer_id: 'id', email: { from: 'email', transform: ['trim'] }, phone: 'phone', country: 'country', email_opt_in: 'accepts' },
      });
      const r = await runPipeline(wh, shopPipeline);
      expect(r.status, r.error).toBe('succeeded');
      const links = await wh.all('select source_system, external_id, customer_id, matched_on from customer_sources order by source_system, external_id');
      expect(links).toEqual([
        { source_system: 'crm', external_id: 'C1', customer_id: 1, matched_on: 'new' },
        { source_system: 'crm', external_id: 'C2', customer_id: 2, matched_on: 'new' },
        { source_system: 'shop', external_id: 'S6', customer_id: 3, matched_on: 'email' },
        { source_system: 'shop', external_id: 'S7', customer_id: 3, matched_on: 'new' },
        { source_system: 'shop', external_id: 'S8', customer_id: 1, matched_on: 'phone' },
        { source_system: 'shop', external_id: 'S9', customer_id: 1, matched_on: 'email' },
      ]);
      // The CRM created Ann, so its country stays; the shop's opt-out wins (consent is conservative).
      const ann = await wh.all('select country, email_opt_in from customers where customer_id = 1');
      expect(ann).toEqual([{ country: 'US', email_opt_in: false }]);
      // Re-running both changes nothing.
      expect(await runPipeline(wh, contacts(crm))).toMatchObject({ rowsInserted: 0, rowsUpdated: 0 });
      expect(await runPipeline(wh, shopPipeline)).toMatchObject({ rowsInserted: 0, rowsUpdated: 0 });
      expect(await counts(wh)).toEqual({ customers: 3, orders: 0, links: 6 });

      // Orders reference the shop's ids; unknown customers are quarantined.
      const ordersFile = join(dir, 'orders.csv');
      writeFileSync(ordersFile, 'Order,Customer,Created At,Status,Total\n1001,S9,2024-03-01T10:00:00+01:00,Paid,10.50\n1002,S7,2024-03-02 10:00:00,refunded,-3\n1003,S404,2024-03-02 10:00:00,paid,5\n1004,S8,2024-03-03 10:00:00,shipped,5\n');
      const o = await runPipeline(wh, orders(ordersFile));
      expect(o).toMatchObject({ status: 'succeeded', rowsInserted: 2, rowsQuarantined: 2 });
      expect(await wh.all('select order_id, customer_id, ordered_at, status, total_amount from orders order by order_id')).toEqual([
        { order_id: '1001', customer_id: 1, ordered_at: '2024-03-01T09:00:00.000Z', status: 'completed', total_amount: 10.5 },
        { order_id: '1002', customer_id: 3, ordered_at: '2024-03-02T10:00:00.000Z', status: 'returned', total_amount: -3 },
      ]);
      expect(await wh.all('select row_number, field, reason from quarantine where run_id = $r order by row_number', { r: o.runId })).toEqual([
        { row_number: 4, field: 'customer_id', reason: "unknown customer 'S404' in system shop" },
        { row_number: 5, field: 'status', reason: "'shipped' is not one of completed, pending, cancelled, returned" },
      ]);
    });
  });

  it('merges changed rows, leaves others, and quarantines duplicate keys', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      writeFileSync(file, 'sku,title,price\nA,Apple,1.00\nB,Banana,2.00\n');
      expect(await runPipeline(wh, products(file))).toMatchObject({ rowsInserted: 2 });
      writeFileSync(file, 'sku,title,price\nA,Apple,1.00\nB,Banana,2.50\nC,Cherry,3\nD,Date,4\nD,Date,4.5\n');
      const r = await runPipeline(wh, { ...products(file), maxQuarantineRatio: 0.5 });
      expect(r).toMatchObject({ status: 'succeeded', rowsInserted: 1, rowsUpdated: 1, rowsUnchanged: 1, rowsQuarantined: 2 });
      expect(await wh.all('select product_id, list_price from products order by 1')).toEqual([
        { product_id: 'A', list_price: 1 },
        { product_id: 'B', list_price: 2.5 },
        { product_id: 'C', list_price: 3 },
      ]);
      const q = await wh.all<{ reason: string }>('select reason from quarantine where run_id = $r', { r: r.runId });
      expect(q.map((x) => x.reason)).toEqual(['duplicate key (D) appears on 2 rows of this load', 'duplicate key (D) appears on 2 rows of this load']);
    });
  });

  it('reports failed data tests in the run without undoing the load', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      writeFileSync(file, 'sku,title,price\nA,Apple,1.00\nB,Banana,2.00\nC,Cherry,3\n');
      const append = { ...products(file), mode: 'append' as const };
      expect(await runPipeline(wh, append)).toMatchObject({ status: 'succeeded', testsFailed: 0 });
      // Appending the same rows again breaks the key's uniqueness across the table.
      const r = await runPipeline(wh, append);
      expect(r).toMatchObject({ status: 'succeeded', rowsInserted: 3, testsFailed: 1 });
      expect(r.dataTests.filter((t) => t.failures > 0)).toEqual([{ test: 'unique', column: 'product_id', failures: 3, sample: 'A, B, C' }]);
      expect(r.dataTests.map((t) => t.test)).toEqual(expect.arrayContaining(['not_null', 'unique']));
      expect(await wh.all("select failures from data_test_results where run_id = $r and test = 'unique'", { r: r.runId })).toEqual([{ failures: 3 }]);
      expect(await wh.all('select count(*) as n from products')).toEqual([{ n: 6 }]);
    });
  });

  it('reports references the loaded rows cannot resolve (a source link to a customer that is gone)', async () => {
    await withWarehouse(async (wh, dir) => {
      await wh.run(`insert into customers (customer_id) values (1)`);
      await wh.run(
        `insert into customer_sources (source_system, external_id, customer_id, matched_on, first_seen_run_id, linked_at)
         values ('shop', 'S1', 1, 'new', 0, now()), ('shop', 'S9', 9, 'new', 0, now())`,
      );
      const file = join(dir, 'o.csv');
      writeFileSync(file, 'Order,Customer,Created At,Status,Total\nO1,S1,2024-01-01 10:00:00,paid,5\nO2,S9,2024-01-02 10:00:00,paid,6\nO3,S9,2024-01-03 10:00:00,paid,7\n');
      const r = await runPipeline(wh, orders(file));
      expect(r).toMatchObject({ status: 'succeeded', rowsInserted: 3, testsFailed: 1 });
      expect(r.dataTests.filter((t) => t.failures > 0)).toEqual([{ test: 'relationship', column: 'customer_id', failures: 2, sample: '9, 9' }]);
      expect(r.dataTests.filter((t) => t.test === 'relationship').map((t) => [t.column, t.failures])).toEqual([
        ['customer_id', 2],
        ['campaign_id', 0],
        ['employee_id', 0],
      ]);
    });
  });

  it('fails a load whose rejected share exceeds the limit and writes nothing', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      writeFileSync(file, 'sku,title,price\nA,Apple,1\n');
      await runPipeline(wh, products(file));
      writeFileSync(file, 'sku,title,price\nA,Apple,9\nB,Banana,x\nC,Cherry,y\n');
      const r = await runPipeline(wh, products(file));
      expect(r.status).toBe('failed');
      expect(r.error).toContain('2 of 3 rows rejected');
      expect(r.error).toContain(`${file}:3:list_price: cannot read 'x' as decimal`);
      expect(await wh.all('select product_id, list_price from products')).toEqual([{ product_id: 'A', list_price: 1 }]);
      const [run] = await wh.all('select status, rows_quarantined from pipeline_runs where run_id = $r', { r: r.runId });
      expect(run).toEqual({ status: 'failed', rows_quarantined: 2 });
    });
  });

  it('quarantines structurally broken lines with their own line numbers', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      writeFileSync(file, 'sku,title,price\r\nA,Apple,1\r\nB,Banana,2,extra\r\nC,"Che, rry",3\r\nD,Date,4\r\nE,Elder');
      const r = await runPipeline(wh, { ...products(file), maxQuarantineRatio: 0.5 });
      expect(r).toMatchObject({ status: 'succeeded', rowsRead: 5, rowsInserted: 3, rowsQuarantined: 2 });
      expect(await wh.all('select row_number, reason from quarantine order by row_number')).toEqual([
        { row_number: 3, reason: 'too many columns: Expected Number of Columns: 3 Found: 4' },
        { row_number: 6, reason: 'missing columns: Expected Number of Columns: 3 Found: 2' },
      ]);
      expect(await wh.all('select name from products order by 1')).toEqual([{ name: 'Apple' }, { name: 'Che, rry' }, { name: 'Date' }]);
    });
  });
  it('trims every mapped value of Unicode spaces (not tabs) and reads a blank one as empty', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      writeFileSync(file, 'sku,title,price\nA, Apple ,1\nB,\u00a0Pear,2\nC,Kiwi\u3000,3\nD,\tFig,4\nE,Café,5\nF,"   ",6\nG,Ju ni,7\n H ,x\u2003y,8\n');
      const r = await runPipeline(wh, products(file));
      expect(r).toMatchObject({ status: 'succeeded', rowsInserted: 8, rowsQuarantined: 0 });
      expect(await wh.all('select product_id, name from products order by 1')).toEqual([
        { product_id: 'A', name: 'Apple' },
        { product_id: 'B', name: 'Pear' },
        { product_id: 'C', name: 'Kiwi' },
        { product_id: 'D', name: '\tFig' },
        { product_id: 'E', name: 'Café' },
        { product_id: 'F', name: null },
        { product_id: 'G', name: 'Ju ni' },
        { product_id: 'H', name: 'x\u2003y' },
      ]);
    });
  });

  it('finds rejected rows of one file by their key, and by the whole row where a key is shared with a good row', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      const quarantined = (run: number) =>
        wh.all('select row_number, field, reason, raw_row::varchar as raw from quarantine where run_id = $r order by row_number, field', { r: run });
      // Line 3 is broken; lines 4 and 6 are the same bad row (found once each, by key B).
      writeFileSync(file, 'sku,title,price\nA,Apple,1\nE,Elder,5,extra\nB,Bad,-2\nC,"Cher, ry",x\nB,Bad,-2\nF,Fig,6\n');
      const r = await runPipeline(wh, { ...products(file), maxQuarantineRatio: 0.9 });
      expect(r).toMatchObject({ status: 'succeeded', rowsRead: 6, rowsInserted: 2, rowsQuarantined: 4 });
      expect(await quarantined(r.runId)).toEqual([
        { row_number: 3, field: null, reason: 'too many columns: Expected Number of Columns: 3 Found: 4', raw: '{"line":"E,Elder,5,extra"}' },
        { row_number: 4, field: 'list_price', reason: 'value -2.00 is below the minimum 0', raw: '{"sku":"B","title":"Bad","price":"-2"}' },
        { row_number: 5, field: 'list_price', reason: "cannot read 'x' as decimal", raw: '{"sku":"C","title":"Cher, ry","price":"x"}' },
        { row_number: 6, field: 'list_price', reason: 'value -2.00 is below the minimum 0', raw: '{"sku":"B","title":"Bad","price":"-2"}' },
      ]);
      // Key A is on a good row and a bad one, and G on two different bad rows: found by their whole rows.
      writeFileSync(file, 'sku,title,price\nA,Apple,1\nG,Grape,x\nA,Apple,y\nG,Grape,-1\n');
      const again = await runPipeline(wh, { ...products(file), mode: 'append', maxQuarantineRatio: 0.9 });
      expect(again).toMatchObject({ status: 'succeeded', rowsRead: 4, rowsInserted: 1, rowsQuarantined: 3 });
      expect(await quarantined(again.runId)).toEqual([
        { row_number: 3, field: 'list_price', reason: "cannot read 'x' as decimal", raw: '{"sku":"G","title":"Grape","price":"x"}' },
        { row_number: 4, field: 'list_price', reason: "cannot read 'y' as decimal", raw: '{"sku":"A","title":"Apple","price":"y"}' },
        { row_number: 5, field: 'list_price', reason: 'value -1.00 is below the minimum 0', raw: '{"sku":"G","title":"Grape","price":"-1"}' },
      ]);
    });
  });

  it('quarantines rejected rows with their line and source text, across files and after broken lines', async () => {
    await withWarehouse(async (wh, dir) => {
      mkdirSync(join(dir, 'in'));
      const a = join(dir, 'in', 'a.csv');
      const b = join(dir, 'in', 'b.csv');
      writeFileSync(a, 'sku,title,price\nA,Apple,1\nB,Bad,-2\nC,Cherry,x\n');
      // Line 3 is broken; line 4 is the same text as a.csv's line 3 (both must be found, once each).
      writeFileSync(b, 'sku,title,price\nD,Date,4\nE,Elder,5,extra\nB,Bad,-2\nF,Fig,6\nG,"Gr, ape",oops\n');
      const r = await runPipeline(wh, { ...products(join(dir, 'in', '*.csv')), maxQuarantineRatio: 0.9 });
      expect(r).toMatchObject({ status: 'succeeded', rowsRead: 8, rowsInserted: 3, rowsQuarantined: 5 });
      expect(await wh.all('select product_id from products order by 1')).toEqual([{ product_id: 'A' }, { product_id: 'D' }, { product_id: 'F' }]);
      const q = await wh.all<Record<string, unknown>>('select source_file, row_number, field, reason, raw_row::varchar as raw from quarantine order by source_file, row_number');
      expect(q).toEqual([
        { source_file: a, row_number: 3, field: 'list_price', reason: 'value -2.00 is below the minimum 0', raw: '{"sku":"B","title":"Bad","price":"-2"}' },
        { source_file: a, row_number: 4, field: 'list_price', reason: "cannot read 'x' as decimal", raw: '{"sku":"C","title":"Cherry","price":"x"}' },
        { source_file: b, row_number: 3, field: null, reason: 'too many columns: Expected Number of Columns: 3 Found: 4', raw: '{"line":"E,Elder,5,extra"}' },
        { source_file: b, row_number: 4, field: 'list_price', reason: 'value -2.00 is below the minimum 0', raw: '{"sku":"B","title":"Bad","price":"-2"}' },
        { source_file: b, row_number: 6, field: 'list_price', reason: "cannot read 'oops' as decimal", raw: '{"sku":"G","title":"Gr, ape","price":"oops"}' },
      ]);
    });
  });

  it('quarantines duplicated keys with their lines and source text beside other rejected rows', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      writeFileSync(file, 'sku,title,price\nA,Apple,1\nD,Date,4\nB,Bad,x\nD,Date 2,4.5\nC,Cherry,3\n');
      const r = await runPipeline(wh, { ...products(file), maxQuarantineRatio: 0.9 });
      expect(r).toMatchObject({ status: 'succeeded', rowsRead: 5, rowsInserted: 2, rowsQuarantined: 3 });
      const q = await wh.all<Record<string, unknown>>('select row_number, field, reason, raw_row::varchar as raw from quarantine order by row_number');
      expect(q).toEqual([
        { row_number: 3, field: null, reason: 'duplicate key (D) appears on 2 rows of this load', raw: '{"sku":"D","title":"Date","price":"4"}' },
        { row_number: 4, field: 'list_price', reason: "cannot read 'x' as decimal", raw: '{"sku":"B","title":"Bad","price":"x"}' },
        { row_number: 5, field: null, reason: 'duplicate key (D) appears on 2 rows of this load', raw: '{"sku":"D","title":"Date 2","price":"4.5"}' },
      ]);
    });
  });
  it('keys rows of a CSV file by their line where the mapping asks for _row', async () => {
    await withWarehouse(async (wh, dir) => {
      const file = join(dir, 'p.csv');
      writeFileSync(file, 'title,price\nApple,1\nBad,x\nCherry,3\n');
      const r = await runPipeline(wh, pipeline({ name: 'lines', source: { type: 'csv', path: file }, entity: 'products', mapping: { product_id: '_row', name: 'title', list_price: 'price' }, maxQuarantineRatio: 0.5 }));
      expect(r).toMatchObject({ status: 'succeeded', rowsRead: 3, rowsInserted: 2, rowsQuarantined: 1 });
      expect(await wh.all('select product_id, name from products order by 1')).toEqual([{ product_id: '2', name: 'Apple' }, { product_id: '4', name: 'Cherry' }]);
      expect(await wh.all('select row_number, field from quarantine')).toEqual([{ row_number: 3, field: 'list_price' }]);
    });
  });
});
