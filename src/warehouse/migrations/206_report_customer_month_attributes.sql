-- 206_report_customer_month_attributes: report_customer_months carries the customer attributes the
-- customer-profitability report groups and filters by (region, country, industry, acquisition channel,
-- lifecycle stage), as the reports' joins give them (null when the customer is missing), so that its
-- sales rows need no join to the customers (issue 4). Current values: the mart is read only while built
-- from the current data_version. The mart is marked unbuilt until the next `crm models run reports`.

alter table report_customer_months add column region varchar; -- customers.region
alter table report_customer_months add column country varchar; -- customers.country
alter table report_customer_months add column industry varchar; -- coalesce(customers.industry, accounts.industry)
alter table report_customer_months add column acquisition_channel varchar; -- customers.acquisition_channel
alter table report_customer_months add column lifecycle_stage varchar; -- customers.lifecycle_stage

delete from report_customer_months;
delete from report_marts where name = 'customer_months';
