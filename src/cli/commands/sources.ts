import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { AppError } from '../../errors.ts';
import { findPipelineFiles, loadPipelineFile } from '../../ingest/index.ts';
import { checkPipelineSource, type SourceCheckReport } from '../../ingest/sources/check.ts';
import { Warehouse } from '../../warehouse/index.ts';
import { formatTable } from '../format.ts';
import { intOption } from '../main.ts';
import type { CliContext } from '../context.ts';
import type { RegisterCommands } from './index.ts';

/** A pipeline file path as given, or the file under pipelines/ whose file name or pipeline name is NAME. */
export function resolvePipeline(name: string, dir = 'pipelines'): string {
  if (existsSync(name) && statSync(name).isFile()) return name;
  const files = existsSync(dir) ? findPipelineFiles(dir) : [];
  const byFile = files.filter((f) => basename(f, extname(f)) === name);
  if (byFile.length === 1) return byFile[0];
  if (byFile.length > 1) throw new AppError('VALIDATION', `"${name}" names several pipeline files: ${byFile.join(', ')}; give the path`);
  for (const f of files) {
    try {
      if (loadPipelineFile(f).name === name) return f;
    } catch {
      // an invalid file cannot be the one meant by name
    }
  }
  throw new AppError('NOT_FOUND', `no pipeline file ${name} and no pipeline named "${name}" under ${dir}/ (give a file path)`);
}

/** The configured warehouse for reference checks, or a throw-away one when there is none yet or it is in use. */
async function warehouseForCheck(ctx: CliContext): Promise<{ wh: Warehouse; references: boolean; note?: string; close(): Promise<void> }> {
  if (existsSync(ctx.config.db)) {
    try {
      return { wh: await ctx.warehouse(), references: true, close: async () => undefined };
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'CONFLICT') throw e;
      const wh = await Warehouse.open(':memory:');
      return { wh, references: false, note: `warehouse ${ctx.config.db} is in use by another process`, close: () => wh.close() };
    }
  }
  const wh = await Warehouse.open(':memory:');
  return { wh, references: false, note: `no warehouse at ${ctx.config.db} yet`, close: () => wh.close() };
}

export function renderReport(r: SourceCheckReport, file: string): string {
  const out = [`pipeline ${r.pipeline} (${file}) → ${r.entity}, source ${r.source}`, ''];
  out.push(formatTable(r.checks.map((c) => ({ check: c.check, status: c.status, detail: c.detail }))));
  for (const c of r.checks.filter((x) => x.examples?.length)) out.push('', `${c.check}:`, ...c.examples!.map((e) => `  ${e}`));
  if (r.mapping.length) out.push('', formatTable(r.mapping.map((m) => ({ ...m }))));
  out.push('', r.ok ? 'ok: the source can be loaded (nothing was loaded)' : 'FAILED: fix the problems above before loading (nothing was loaded)');
  return out.join('\n');
}

export const register: RegisterCommands = (program, ctx, setExit) => {
  const sources = program.command('sources').description('pipeline sources: check them before loading');
  sources
    .command('test')
    .description("check a pipeline's source without loading: connectivity, the mapping against the source's columns and types, a sample of rows through the contract")
    .argument('<name>', 'a pipeline file, or the name of one under pipelines/')
    .option('--sample <n>', 'rows to run through the contract', intOption(0, 1_000_000), 100)
    .option('--format <format>', 'table | json', 'table')
    .action(async (name: string, opts: { sample: number; format: string }) => {
      if (opts.format !== 'table' && opts.format !== 'json') throw new AppError('VALIDATION', `--format must be table or json (got "${opts.format}")`);
      const file = resolvePipeline(name);
      const pipeline = loadPipelineFile(file);
      const target = await warehouseForCheck(ctx);
      try {
        const report = await checkPipelineSource(target.wh, pipeline, { file, sample: opts.sample, references: target.references });
        ctx.out(opts.format === 'json' ? JSON.stringify({ file, ...report, note: target.note ?? null }, null, 2) : renderReport(report, file) + (target.note ? `\n(${target.note}: references to other entities were not checked)` : ''));
        if (!report.ok) setExit(1);
      } finally {
        await target.close();
      }
    });
};
