-- Purpose: row counts of the canonical warehouse tables, for the status page and the Ops dashboard.
-- Grain: one row per table.
-- Parameters: none.
select 'customers' as table_name, count(*) as row_count from customers
union all select 'accounts', count(*) from accounts
union all select 'employees', count(*) from employees
union all select 'products', count(*) from products
union all select 'orders', count(*) from orders
union all select 'order_lines', count(*) from order_lines
union all select 'deals', count(*) from deals
union all select 'deal_stage_history', count(*) from deal_stage_history
union all select 'interactions', count(*) from interactions
union all select 'tickets', count(*) from tickets
union all select 'campaigns', count(*) from campaigns
union all select 'campaign_touches', count(*) from campaign_touches
union all select 'subscriptions', count(*) from subscriptions
union all select 'quotas', count(*) from quotas
