import { describe, expect, it } from 'vitest';
import { defaultRange, parseFilters, previousPeriod, toArrowIPC, toCsv, type Dashboard } from '../../../src/publish/dashboards/index.ts';
import { tableFromIPC } from 'apache-arrow';

const dashboard = { name: 'd', filters: ['date_range', 'granularity', 'region'], defaults: { months: 12, granularity: 'month' } } as unknown as Dashboard;

describe('filters', () => {
  it('default range: N calendar months ending on the anchor', () => {
    expect(defaultRange('2026-11-15', 12)).toEqual({ from: '2025-12-01', to: '2026-11-15' });
    expect(defaultRange('2026-03-31', 1)).toEqual({ from: '2026-03-01', to: '2026-03-31' });
  });

  it('previous period: same number of days, ending the day before', () => {
    expect(previousPeriod('2026-01-01', '2026-06-30')).toEqual({ prev_from: '2025-07-04', prev_to: '2025-12-31' });
    expect(previousPeriod('2024-03-01', '2024-03-01')).toEqual({ prev_from: '2024-02-29', prev_to: '2024-02-29' });
  });

  it('fills defaults and keeps what was picked', () => {
    expect(parseFilters(dashboard, {}, '2026-11-15')).toEqual({ from: '2025-12-01', to: '2026-11-15', granularity: 'month', region: null, rep: null, segment: null });
    expect(parseFilters(dashboard, { from: '2026-01-01', granularity: 'week', region: ' EMEA ' }, '2026-11-15')).toMatchObject({ from: '2026-01-01', to: '2026-11-15', granularity: 'week', region: 'EMEA' });
    expect(parseFilters(dashboard, { region: '' }, '2026-11-15').region).toBeNull();
  });

  it('a lone `to` before the default range gets a year before it', () => {
    expect(parseFilters(dashboard, { to: '2020-06-30' }, '2026-11-15')).toMatchObject({ from: '2019-07-02', to: '2020-06-30' });
  });

  it('rejects what the dashboard does not offer, bad dates, inverted and oversized ranges', () => {
    expect(() => parseFilters(dashboard, { rep: 'e1' }, '2026-11-15')).toThrow(/unknown filter "rep"; dashboard d accepts: from, to, granularity, region/);
    expect(() => parseFilters(dashboard, { from: '2026-02-30' }, '2026-11-15')).toThrow(/from/);
    expect(() => parseFilters(dashboard, { granularity: 'year' }, '2026-11-15')).toThrow(/granularity/);
    expect(() => parseFilters(dashboard, { from: '2026-05-01', to: '2026-04-01' }, '2026-11-15')).toThrow(/after/);
    expect(() => parseFilters(dashboard, { from: '1990-01-01', to: '2026-01-01' }, '2026-11-15')).toThrow(/25 years/);
    expect(() => parseFilters(dashboard, { from: '2010-01-01', to: '2026-01-01', granularity: 'day' }, '2026-11-15')).toThrow(/daily granularity/);
    expect(() => parseFilters(dashboard, { format: 'csv' }, '2026-11-15')).toThrow(/unknown filter/);
    expect(parseFilters(dashboard, { format: 'csv' }, '2026-11-15', ['format']).from).toBe('2025-12-01');
  });
});

describe('csv and arrow', () => {
  it('CSV quotes, neutralises formulas, keeps numbers and nulls', () => {
    const csv = toCsv(['a', 'b', 'c'], [{ a: 'x,"y"', b: -5, c: null }, { a: '=cmd()', b: 1.5, c: '-1' }]);
    expect(csv).toBe('a,b,c\r\n"x,""y""",-5,\r\n\'=cmd(),1.5,\'-1\r\n');
  });

  it('Arrow keeps types and nulls', () => {
    const bytes = toArrowIPC(
      [
        { name: 'd', type: 'DATE' },
        { name: 'n', type: 'BIGINT' },
        { name: 'x', type: 'DECIMAL(18,2)' },
        { name: 's', type: 'VARCHAR' },
        { name: 't', type: 'TIMESTAMP WITH TIME ZONE' },
        { name: 'b', type: 'BOOLEAN' },
      ],
      [
        { d: '2026-01-31', n: 9007199254740991, x: 1.25, s: 'é', t: '2026-01-31T23:30:00.000Z', b: true },
        { d: null, n: null, x: null, s: null, t: null, b: null },
      ],
    );
    const t = tableFromIPC(bytes);
    expect(t.numRows).toBe(2);
    expect(new Date(t.getChild('d')!.get(0)).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(t.getChild('n')!.get(0)).toBe(9007199254740991n);
    expect(t.getChild('x')!.get(0)).toBe(1.25);
    expect(t.getChild('s')!.get(0)).toBe('é');
    expect(t.getChild('t')!.get(0)).toBe(Date.parse('2026-01-31T23:30:00Z'));
    expect(t.getChild('b')!.get(0)).toBe(true);
    for (const c of ['d', 'n', 'x', 's', 't', 'b']) expect(t.getChild(c)!.get(1), c).toBeNull();
  });
});
