import { sql } from 'kysely';
import type { Dimension } from './grid.ts';

/**
 * countValues hints (see Dimension): distinct values of a column of a reference table, plus one for
 * '(none)' — or the table's rows plus one, for dimensions named after an id. They bound the groups for
 * the bitmap choice; ids in facts that are missing from the reference table are not counted (an
 * estimate then, which can only make the grid choose bitmaps with more groups than it planned for).
 */
const values = (column: string, table: string) => `select count(distinct ${column}) + 1 as n from ${table}`;
const rows = (table: string) => `select count(*) + 1 as n from ${table}`;

/**
 * Dimensions shared by several grid reports, keyed by the group-by name users type. Each names the
 * joins it needs (aliases: c customers, a accounts, e employees, m managers, p products,
 * cp campaigns, sg segment) and the facts column it starts from (customer_id, employee_id,
 * product_id, campaign_id). A missing value groups as '(none)'.
 */
export const customerDimensions: Record<string, Dimension> = {
  region: { label: 'Region', expr: sql`coalesce(c.region, '(none)')`, joins: ['customer'], countValues: values('region', 'customers'), description: "the customer's region" },
  country: { label: 'Country', expr: sql`coalesce(c.country, '(none)')`, joins: ['customer'], countValues: values('country', 'customers') },
  industry: { label: 'Industry', expr: sql`coalesce(c.industry, a.industry, '(none)')`, joins: ['customer', 'account'], countValues: 'select (select count(distinct industry) from customers) + (select count(distinct industry) from accounts) + 1 as n' },
  acquisition_channel: { label: 'Acquisition channel', expr: sql`coalesce(c.acquisition_channel, '(none)')`, joins: ['customer'], countValues: values('acquisition_channel', 'customers') },
  lifecycle_stage: { label: 'Lifecycle stage', expr: sql`coalesce(c.lifecycle_stage, '(none)')`, joins: ['customer'], countValues: values('lifecycle_stage', 'customers') },
  account: { label: 'Account', expr: sql`coalesce(a.name, c.account_id, '(none)')`, joins: ['customer', 'account'] },
  segment: {
    label: 'Segment (RFM)',
    expr: sql`coalesce(sg.segment, '(no RFM segment)')`,
    joins: ['segment'],
    countValues: values('rfm_label', 'rfm_scores'),
    description: "the customer's RFM segment in the latest segments run",
  },
  customer_id: { label: 'Customer', expr: sql`f.customer_id`, type: 'number' },
};

export const repDimensions: Record<string, Dimension> = {
  rep: { label: 'Rep', expr: sql`coalesce(e.name, f.employee_id, '(none)')`, joins: ['employee'], countValues: rows('employees') },
  rep_id: { label: 'Rep id', expr: sql`coalesce(f.employee_id, '(none)')`, countValues: rows('employees') },
  team: { label: 'Team', expr: sql`coalesce(e.team, '(none)')`, joins: ['employee'], countValues: values('team', 'employees') },
  manager: { label: 'Manager', expr: sql`coalesce(m.name, e.manager_id, '(none)')`, joins: ['employee', 'manager'], countValues: rows('employees') },
  rep_region: { label: 'Rep region', expr: sql`coalesce(e.region, '(none)')`, joins: ['employee'], countValues: values('region', 'employees') },
};

export const productDimensions: Record<string, Dimension> = {
  product: { label: 'Product', expr: sql`coalesce(p.name, f.product_id)`, joins: ['product'], needs: 'lines', countValues: rows('products') },
  product_id: { label: 'Product id', expr: sql`f.product_id`, needs: 'lines', countValues: rows('products') },
  category: { label: 'Category', expr: sql`coalesce(p.category, '(none)')`, joins: ['product'], needs: 'lines', countValues: values('category', 'products') },
};

export const campaignDimensions: Record<string, Dimension> = {
  campaign: { label: 'Campaign', expr: sql`coalesce(cp.name, f.campaign_id, '(none)')`, joins: ['campaign'], countValues: rows('campaigns') },
  campaign_id: { label: 'Campaign id', expr: sql`coalesce(f.campaign_id, '(none)')`, countValues: rows('campaigns') },
  campaign_channel: { label: 'Campaign channel', expr: sql`coalesce(cp.channel, '(none)')`, joins: ['campaign'], countValues: values('channel', 'campaigns') },
  target_segment: { label: 'Target segment', expr: sql`coalesce(cp.target_segment, '(none)')`, joins: ['campaign'], countValues: values('target_segment', 'campaigns') },
};

/**
 * The customer dimensions as columns of a mart's rows (report_order_lines, report_customer_months:
 * migrations 205, 206): the values the joins above give, read from the rows instead of joining 1.2 M
 * customers per request. A report uses them only while its facts come from the (current) mart.
 */
export const customerMartDimensions: Record<string, Dimension> = {
  region: { ...customerDimensions.region, expr: sql`coalesce(f.region, '(none)')`, joins: [] },
  country: { ...customerDimensions.country, expr: sql`coalesce(f.country, '(none)')`, joins: [] },
  industry: { ...customerDimensions.industry, expr: sql`coalesce(f.industry, '(none)')`, joins: [] },
  acquisition_channel: { ...customerDimensions.acquisition_channel, expr: sql`coalesce(f.acquisition_channel, '(none)')`, joins: [] },
  lifecycle_stage: { ...customerDimensions.lifecycle_stage, expr: sql`coalesce(f.lifecycle_stage, '(none)')`, joins: [] },
};

/** The customer and product dimensions as columns of report_order_lines (product_name and category too). */
export const orderLineMartDimensions: Record<string, Dimension> = {
  ...customerMartDimensions,
  product: { ...productDimensions.product, expr: sql`coalesce(f.product_name, f.product_id)`, joins: [] },
  category: { ...productDimensions.category, expr: sql`coalesce(f.category, '(none)')`, joins: [] },
};
