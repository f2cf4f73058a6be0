-- The smallest and largest customer id in every table the reports count customers from (customers,
-- orders, interactions, tickets, campaign touches, deals). Stored with the report marts: while they are
-- current, every customer id a report meets lies in this range.
-- Grain: one row. Parameters: none.
with ids as (
  select min(customer_id) as lo, max(customer_id) as hi from customers
  union all select min(customer_id), max(customer_id) from orders
  union all select min(customer_id), max(customer_id) from interactions
  union all select min(customer_id), max(customer_id) from tickets
  union all select min(customer_id), max(customer_id) from campaign_touches
  union all select min(customer_id), max(customer_id) from deals
)

select min(lo) as lo, max(hi) as hi
from ids;
