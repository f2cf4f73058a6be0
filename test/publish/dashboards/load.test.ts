import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDashboardFile, loadDashboards, sqlParams } from '../../../src/publish/dashboards/index.ts';
import { tempDir } from '../../helpers.ts';

function withFile(name: string, text: string, fn: (path: string) => void) {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    fn(path);
  } finally {
    cleanup();
  }
}

const minimal = (panel: string) => `title: T\ndescription: D\npanels:\n${panel}`;
const chart = (extra = '') => `  - id: revenue
    title: Revenue
    description: Revenue per period for the test.
    query: executive/revenue_by_period
    spec: { mark: bar, encoding: { x: { field: period, type: temporal } } }
${extra}`;

describe('sqlParams', () => {
  it('finds $names outside comments and string literals', () => {
    expect(sqlParams(`-- uses $nope\nselect $a, '$b', $c_1 /* $d */ from t where x = '$e''$f' and y = $a`)).toEqual(['a', 'c_1']);
  });
});

describe('loadDashboardFile', () => {
  it('loads a valid file with defaults filled in', () => {
    withFile('t.yaml', minimal(chart()), (p) => {
      const d = loadDashboardFile(p);
      expect(d.name).toBe('t');
      expect(d.filters).toEqual(['date_range', 'granularity']);
      expect(d.defaults).toEqual({ months: 12, granularity: 'month' });
      expect(d.queries.get('revenue')!.filterParams).toEqual(['from', 'granularity', 'region', 'rep', 'segment', 'to']);
    });
  });

  it('names the file and key path of a schema error', () => {
    withFile('t.yaml', minimal(chart().replace('title: Revenue', 'title: ""')), (p) => {
      expect(() => loadDashboardFile(p)).toThrow(/t\.yaml: panels\.0\.title/);
    });
    withFile('t.yaml', `title: T\ndescription: D\nfilters: [date_range, colour]\n`, (p) => {
      expect(() => loadDashboardFile(p)).toThrow(/filters\.1/);
    });
    withFile('t.yaml', minimal(chart().replace('spec: {', 'spec: { data: { values: [] },')), (p) => {
      expect(() => loadDashboardFile(p)).toThrow(/panels\.0\.spec: leave out "data"/);
    });
  });

  it('rejects a missing query file, an unbound parameter, a bind to nothing and duplicate ids', () => {
    withFile('t.yaml', minimal(chart().replace('executive/revenue_by_period', 'executive/nope')), (p) => {
      expect(() => loadDashboardFile(p)).toThrow(/t\.yaml:panels\.0\.query: query file queries\/dashboards\/executive\/nope\.sql does not exist/);
    });
    withFile('t.yaml', minimal(chart().replace('executive/revenue_by_period', 'ops/recent_runs')), (p) => {
      expect(() => loadDashboardFile(p)).toThrow(/reads \$limit, which is neither a filter parameter/);
    });
    withFile('t.yaml', minimal(chart('    bind: { start: from }\n')), (p) => {
      expect(() => loadDashboardFile(p)).toThrow(/panels\.0\.bind\.start: .* does not read \$start/);
    });
    withFile('t.yaml', minimal(chart() + chart()), (p) => {
      expect(() => loadDashboardFile(p)).toThrow(/panels\.1\.id: duplicate panel id "revenue"/);
    });
  });

  it('binds constants and renamed parameters', () => {
    const q = chart().replace('executive/revenue_by_period', 'ops/recent_runs') + '    params: { limit: 5 }\n';
    withFile('t.yaml', minimal(q), (p) => expect(loadDashboardFile(p).queries.get('revenue')!.params).toEqual(['limit']));
  });

  it('reports a YAML syntax error with the file', () => {
    withFile('t.yaml', 'title: [unclosed\n', (p) => expect(() => loadDashboardFile(p)).toThrow(/t\.yaml: cannot parse/));
  });

  it('loads JSON too, and orders dashboards by `order`', () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd', 'b.json'), JSON.stringify({ title: 'B', description: 'D', order: 1 }));
      writeFileSync(join(dir, 'd', 'a.yaml'), 'title: A\ndescription: D\norder: 2\n');
      writeFileSync(join(dir, 'd', 'notes.txt'), 'ignored');
      expect(loadDashboards(join(dir, 'd')).map((d) => d.name)).toEqual(['b', 'a']);
    } finally {
      cleanup();
    }
  });
});
