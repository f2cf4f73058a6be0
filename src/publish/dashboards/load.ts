import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { AppError, fromZodError, ValidationError } from '../../errors.ts';
import { queriesDir } from '../../warehouse/index.ts';
import { dashboardSchema, filterParamNames, type Dashboard, type FilterParamName, type KpiDef, type PanelDef, type PanelQuery } from './schema.ts';
import { checkReport, findSource } from './sources.ts';

type AnyPanelDef = KpiDef | PanelDef;

/** The top-level `dashboards/` folder. */
export const dashboardsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dashboards');

const extensions = new Set(['.yaml', '.yml', '.json']);

/** `$name` parameters a SQL text reads, ignoring comments and string literals. */
export function sqlParams(sql: string): string[] {
  const code = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
  return [...new Set([...code.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))].sort();
}

/** The text of `queries/dashboards/<name>.sql`, read fresh (definitions are reloaded in development). */
function readQuery(name: string, file: string, field: string): string {
  const path = join(queriesDir, 'dashboards', `${name}.sql`);
  if (!existsSync(path)) throw new ValidationError(`query file queries/dashboards/${name}.sql does not exist`, { file, field });
  return readFileSync(path, 'utf8');
}

/** A SQL panel: its file, and every `$parameter` bound to a filter parameter, `bind` or `params`. */
function sqlQuery(p: AnyPanelDef, file: string, at: string): PanelQuery {
  const sql = readQuery(p.query!, file, `${at}.query`);
  const params = sqlParams(sql);
  const filterParams = new Set<FilterParamName>();
  for (const param of params) {
    if (param in p.params) continue;
    const bound = p.bind[param] ?? (filterParamNames as readonly string[]).find((f) => f === param);
    if (!bound) {
      throw new ValidationError(
        `queries/dashboards/${p.query}.sql reads $${param}, which is neither a filter parameter (${filterParamNames.join(', ')}) nor set in bind or params`,
        { file, field: `${at}.query` },
      );
    }
    filterParams.add(bound as FilterParamName);
  }
  for (const key of [...Object.keys(p.bind), ...Object.keys(p.params)]) {
    if (!params.includes(key)) throw new ValidationError(`queries/dashboards/${p.query}.sql does not read $${key}`, { file, field: `${at}.${key in p.bind ? 'bind' : 'params'}.${key}` });
  }
  return { kind: 'sql', sql, params, filterParams: [...filterParams].sort() };
}

/**
 * Parses and checks one dashboard file: the zod schema, unique panel ids, each query file
 * present and every `$parameter` it reads bound (a filter parameter, `bind`, or `params`).
 * Errors name the file and the key path as written.
 */
export function loadDashboardFile(path: string): Dashboard {
  const file = relative(process.cwd(), path) || path;
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new ValidationError(`cannot parse: ${(e as Error).message.split('\n')[0]}`, { file });
  }
  const parsed = dashboardSchema.safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error, file);
  const def = parsed.data;
  const name = basename(path, extname(path));
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new ValidationError('dashboard file names are lower-case letters, digits, - and _', { file });

  const queries = new Map<string, PanelQuery>();
  const all = [...def.kpis.map((k, i) => ({ p: k, at: `kpis.${i}` })), ...def.panels.map((p, i) => ({ p, at: `panels.${i}` }))];
  for (const { p, at } of all) {
    if (queries.has(p.id)) throw new ValidationError(`duplicate panel id "${p.id}"`, { file, field: `${at}.id` });
    let resolved: PanelQuery;
    if (p.report) {
      try {
        checkReport(p.report);
      } catch (e) {
        throw new ValidationError((e as Error).message, { file, field: `${at}.report` });
      }
      const filterParams = [...Object.values(p.report.bind), ...Object.values(p.report.filters)] as FilterParamName[];
      resolved = { kind: 'report', sql: '', params: Object.keys(p.report.bind), filterParams: [...new Set(filterParams)].sort() };
    } else if (p.source) {
      let src;
      try {
        src = findSource(p.source);
      } catch (e) {
        throw new ValidationError((e as Error).message, { file, field: `${at}.source` });
      }
      resolved = { kind: 'source', sql: '', params: [...src.filterParams], filterParams: [...src.filterParams].sort() };
    } else {
      resolved = sqlQuery(p, file, at);
    }
    if ('kind' in p && p.kind === 'table') {
      const seen = new Set<string>();
      p.columns.forEach((c, i) => {
        if (seen.has(c.field)) throw new ValidationError(`duplicate column "${c.field}"`, { file, field: `${at}.columns.${i}.field` });
        seen.add(c.field);
      });
    }
    queries.set(p.id, resolved);
  }
  for (const [filter, query] of Object.entries(def.choices)) {
    if (!query) continue;
    const sql = readQuery(query, file, `choices.${filter}`);
    if (sqlParams(sql).length) throw new ValidationError('a choices query takes no parameters', { file, field: `choices.${filter}` });
  }
  if (def.defaults.anchor) {
    const sql = readQuery(def.defaults.anchor, file, 'defaults.anchor');
    const params = sqlParams(sql);
    if (params.length) throw new ValidationError(`an anchor query takes no parameters (it reads ${params.map((p) => `$${p}`).join(', ')})`, { file, field: 'defaults.anchor' });
  }
  return { ...def, name, file, queries };
}

/** Every dashboard in `dir`, in navigation order. Throws on the first invalid file. */
export function loadDashboards(dir: string = dashboardsDir): Dashboard[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => extensions.has(extname(f)))
    .sort()
    .map((f) => loadDashboardFile(join(dir, f)))
    .sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

/** The dashboard named `name`, or NOT_FOUND listing those that exist. */
export function findDashboard(dashboards: Dashboard[], name: string): Dashboard {
  const d = dashboards.find((x) => x.name === name);
  if (!d) throw new AppError('NOT_FOUND', `no dashboard "${name}"; available: ${dashboards.map((x) => x.name).join(', ') || '(none)'}`);
  return d;
}
