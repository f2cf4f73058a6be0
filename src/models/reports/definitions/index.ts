import { campaignEffectivenessReport } from './campaign-effectiveness.ts';
import { campaignLiftReport } from './campaign-lift.ts';
import { contactStatsReport } from './contact-stats.ts';
import { customerProfitabilityReport } from './customer-profitability.ts';
import { customerTimelineReport } from './customer-timeline.ts';
import { forecastAccuracyReport, forecastBacktestReport, pipelineForecastReport, revenueForecastReport, winRatesReport } from './forecast-reports.ts';
import { funnelLostReasonsReport, funnelReport, marketingFunnelReport } from './funnel-reports.ts';
import { quotaAttainmentReport } from './quota-attainment.ts';
import { repPerformanceReport } from './rep-performance.ts';
import { salesReport } from './sales.ts';
import { serviceReport } from './service.ts';

/** The built-in reports, registered by src/models/reports/index.ts. */
export const builtinReports = [
  salesReport,
  repPerformanceReport,
  quotaAttainmentReport,
  campaignEffectivenessReport,
  campaignLiftReport,
  customerProfitabilityReport,
  serviceReport,
  contactStatsReport,
  customerTimelineReport,
  funnelReport,
  funnelLostReasonsReport,
  marketingFunnelReport,
  pipelineForecastReport,
  winRatesReport,
  revenueForecastReport,
  forecastBacktestReport,
  forecastAccuracyReport,
];
