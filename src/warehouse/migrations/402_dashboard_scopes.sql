-- 402_dashboard_scopes: the dashboards' choice filters, defined once. Each macro returns an entity's rows
-- narrowed by region, rep and segment (null = all), so every panel query means the same by "region" or
-- "rep" (docs/dashboards.md lists the rules):
--   region  the customer's region; deals: the customer's, else the account's
--   rep     orders: the order's employee, else the customer's owner; deals: the owner; tickets: the assigned
--           employee; customers, subscriptions, campaign touches: the customer's owner
--   segment customers in the segment as of the latest succeeded segment run (dash_segment_members, 401)
-- Date ranges stay in the panel queries. Filters applied outside a macro are pushed down by DuckDB.
create or replace macro dash_customers(p_region, p_rep, p_segment) as table
  select c.*
  from customers as c
  where (p_region is null or c.region = p_region)
    and (p_rep is null or c.owner_id = p_rep)
    and (p_segment is null or c.customer_id in (select customer_id from dash_segment_members(p_segment)));

create or replace macro dash_orders(p_region, p_rep, p_segment) as table
  select o.*
  from orders as o
  left join customers as c on c.customer_id = o.customer_id
  where (p_region is null or c.region = p_region)
    and (p_rep is null or coalesce(o.employee_id, c.owner_id) = p_rep)
    and (p_segment is null or o.customer_id in (select customer_id from dash_segment_members(p_segment)));

create or replace macro dash_deals(p_region, p_rep, p_segment) as table
  select d.*
  from deals as d
  left join customers as c on c.customer_id = d.customer_id
  left join accounts as a on a.account_id = d.account_id
  where (p_region is null or coalesce(c.region, a.region) = p_region)
    and (p_rep is null or d.owner_id = p_rep)
    and (p_segment is null or d.customer_id in (select customer_id from dash_segment_members(p_segment)));

create or replace macro dash_tickets(p_region, p_rep, p_segment) as table
  select t.*
  from tickets as t
  left join customers as c on c.customer_id = t.customer_id
  where (p_region is null or c.region = p_region)
    and (p_rep is null or t.employee_id = p_rep)
    and (p_segment is null or t.customer_id in (select customer_id from dash_segment_members(p_segment)));

create or replace macro dash_subscriptions(p_region, p_rep, p_segment) as table
  select s.*
  from subscriptions as s
  left join customers as c on c.customer_id = s.customer_id
  where (p_region is null or c.region = p_region)
    and (p_rep is null or c.owner_id = p_rep)
    and (p_segment is null or s.customer_id in (select customer_id from dash_segment_members(p_segment)));

create or replace macro dash_campaign_touches(p_region, p_rep, p_segment) as table
  select t.*
  from campaign_touches as t
  left join customers as c on c.customer_id = t.customer_id
  where (p_region is null or c.region = p_region)
    and (p_rep is null or c.owner_id = p_rep)
    and (p_segment is null or t.customer_id in (select customer_id from dash_segment_members(p_segment)));
