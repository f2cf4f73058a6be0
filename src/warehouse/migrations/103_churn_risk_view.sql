-- 103_churn_risk_view: churn_risk becomes a view over customer_value. Writing a second million-row
-- table with a sentence per customer cost more than writing the scores themselves; the reason is now
-- worded when it is read (a customer card, a tier list), from columns customer_value now keeps.
alter table customer_value add column is_high_value boolean;
alter table customer_value add column p_alive_previous double; -- from the previous clv run, when the customer was scored there
alter table customer_value add column p_alive_change double;
alter table customer_value add column is_falling boolean; -- P(alive) fell by at least the run's falling_drop

update customer_value as v
set is_high_value = r.is_high_value,
    p_alive_previous = r.p_alive_previous,
    p_alive_change = r.p_alive_change,
    is_falling = r.reason like '%since the previous run%'
from churn_risk as r
where r.customer_id = v.customer_id and r.run_id = v.run_id;

drop table churn_risk;

-- Churn-risk tier per customer (latest clv run) with the reason in words.
-- tier: champion | at_risk | lost_high_value | active | slipping | lost | new | one_time
create view churn_risk as
select
  run_id,
  as_of_date,
  customer_id,
  churn_tier as tier,
  is_high_value,
  p_alive,
  p_alive_previous,
  p_alive_change,
  total_revenue,
  value_percentile,
  clv,
  cast(date_diff('day', last_purchase_date, as_of_date) as integer) as days_since_last_purchase,
  case churn_tier
    when 'new' then 'first purchase ' || date_diff('day', first_purchase_date, as_of_date) || ' days ago, no repeat purchase yet'
    when 'one_time' then 'one purchase, ' || date_diff('day', first_purchase_date, as_of_date) || ' days ago'
    else 'P(alive) ' || cast(round(100 * p_alive) as integer) || '%'
      || case when is_falling then ', down ' || cast(round(-100 * p_alive_change) as integer) || ' points since the previous run' else '' end
      || '; ' || case when is_high_value then 'high value' else 'not high value' end
      || ' (revenue percentile ' || cast(round(100 * value_percentile) as integer) || '); last purchase '
      || date_diff('day', last_purchase_date, as_of_date) || ' days ago'
  end as reason
from customer_value;
