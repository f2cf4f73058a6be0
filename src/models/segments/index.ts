/**
 * Segments: RFM scoring, declarative rule-tree segments, campaign plans (priority lists), membership
 * history, and campaign lift against a holdout. See README.md here and docs/segments.md.
 */
export { fields, fieldsByName, fieldNames, events, eventNames, operatorsByKind, type FieldDef, type EventDef, type ValueKind } from './fields.ts';
export {
  segmentDefinitionSchema,
  planDefinitionSchema,
  ruleSchema,
  parseSegmentDefinition,
  parsePlanDefinition,
  checkRule,
  canonicalJson,
  sha256,
  type Rule,
  type SegmentDefinition,
  type PlanDefinition,
} from './rules.ts';
export { windowBounds, asOfEnd, todayUtc, type Window, type Bounds } from './windows.ts';
export { compileRule, type CompiledRule, type SegmentLookup } from './compile.ts';
export {
  loadScoreMap,
  parseScoreMap,
  expandScoreMap,
  scoreMapHash,
  rfmParamsSchema,
  defaultScoreMapFile,
  type ScoreMap,
  type RfmParams,
} from './rfm.ts';
export {
  loadCatalog,
  requireSegment,
  requirePlan,
  createSegment,
  updateSegment,
  deleteSegment,
  segmentVersions,
  savePlan,
  expandDefinition,
  currentUser,
  type Catalog,
  type SegmentEntry,
  type PlanEntry,
} from './catalog.ts';
export {
  previewSegment,
  previewPlan,
  segmentMembers,
  segmentSelection,
  planSelection,
  definitionSelection,
  fromSelection,
  membersQuery,
  prepareLive,
  dropLiveTables,
  resolveAsOf,
  runCompiled,
  type Selection,
  type Sources,
  type Preview,
} from './evaluate.ts';
export { runSegments, segmentRunParamsSchema, segmentsModel, type SegmentRunResult } from './run.ts';
export { listRuns, migrationMatrix, pivotMatrix, movers, segmentTrend, resolveRunPair, rfmSummary } from './history.ts';
export { segmentDb, type SegmentTables, type SegmentDatabase } from './tables.ts';
export { campaignLift, normalCdf, normalQuantile, proportionDifference, meanDifference, type CampaignLift } from './lift.ts';
export { behaviouralClusters, fitKMeans, clusterLabel, type Cluster } from './clusters.ts';
