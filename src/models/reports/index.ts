import { builtinReports } from './definitions/index.ts';
import { registerReport } from './registry.ts';

for (const r of builtinReports) registerReport(r);

export { runReport, listReports, getReport, registerReport } from './registry.ts';
export type { ReportColumn, ReportDefinition, ReportInfo, ReportMeta, ReportOutput, ReportResult, ReportRow } from './types.ts';
export { gridReport, type GridSpec, type GridParams, type Dimension, type Measure } from './grid.ts';
export { sqlFragment } from './sql-fragment.ts';
export { refreshReportMarts, martIsCurrent } from './marts.ts';
export { reportsModel } from './model.ts';
