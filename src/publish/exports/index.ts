/** Campaign target lists: consent-safe exports with holdout groups, diffs and an audit log. See README.md. */
export { createExport, exportOptionsSchema, exportFieldNames, checkOutputPath, type ExportOptions, type ExportManifest } from './export.ts';
export { listExports, getExport, type ExportLogRow } from './log.ts';
export { channels, channelRules, exclusionReasons, type Channel, type ExclusionReason } from './channels.ts';
export { holdoutKey, holdoutDrawJs } from './holdout.ts';
export { formats, formatFromPath, type Format } from './writers.ts';
