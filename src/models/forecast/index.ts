export { forecastRevenue, forecastFromHistory, revenueSeries, revenueForecastParamsSchema, type RevenueForecast, type RevenueMonth } from './revenue.ts';
export { backtest, chooseMethod, hubspotAccuracy, score, type MethodScore, type BacktestPoint } from './backtest.ts';
export { methods, methodNames, type MethodName, type ForecastPoint, type FittedMethod } from './methods.ts';
export { preparePipelineForecast, smoothWinRates, pipelineForecastParamsSchema, type WinRate, type PreparedPipeline } from './pipeline.ts';
export { saveForecastRun, forecastDb, type ForecastTables, type SavedForecastRun } from './runs.ts';
export { forecastModel } from './model.ts';
