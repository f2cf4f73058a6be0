export { stageFunnel, stageDropoffQuery, stageFunnelParamsSchema, funnelDimensions, funnelBreakdowns, type StageFunnelResult, type StageFunnelParams } from './stage-funnel.ts';
export { marketingFunnel, marketingDropoffQuery, marketingFunnelParamsSchema, marketingSteps, marketingBreakdowns, parseWindow, type MarketingFunnelResult } from './marketing-funnel.ts';
export { saveFunnelRun, dropoffCustomers, funnelDb, type FunnelTables, type SavedFunnelRun } from './runs.ts';
export { loadStageConfig, parseStageConfig, stageConfigSchema, resolveStageOrder, defaultStagesFile, type StageConfig, type ResolvedPipeline } from './stage-config.ts';
export { funnelModel } from './model.ts';
