import { salesReport } from './sales.ts';

/** The built-in reports, registered by src/models/reports/index.ts. */
export const builtinReports = [salesReport];
