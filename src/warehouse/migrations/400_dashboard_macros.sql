-- 400_dashboard_macros: small macros the dashboard queries (queries/dashboards/) share.
-- dash_period_step(granularity): the interval of one period; granularity is day | week | month | quarter
--   (the dashboards whitelist it before binding).
-- dash_periods(granularity, start_date, end_date): one row per period that overlaps [start_date, end_date]:
--   period (first day, weeks start on Monday), period_end (first day of the next period). Used as a spine
--   so that periods without activity show as zero rather than disappear.
create or replace macro dash_period_step(granularity) as
  case granularity
    when 'day' then interval 1 day
    when 'week' then interval 7 day
    when 'month' then interval 1 month
    when 'quarter' then interval 3 month
  end;

create or replace macro dash_periods(granularity, start_date, end_date) as table
  select
    cast(p as date) as period,
    cast(p + dash_period_step(granularity) as date) as period_end
  from generate_series(date_trunc(granularity, cast(start_date as date)), cast(end_date as date), dash_period_step(granularity)) as t(p);
