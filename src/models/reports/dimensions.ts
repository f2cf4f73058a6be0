import { sql } from 'kysely';
import type { Dimension } from './grid.ts';

/**
 * Dimensions shared by several grid reports, keyed by the group-by name users type. Each names the
 * joins it needs (aliases: c customers, a accounts, e employees, m managers, p products,
 * cp campaigns, sg segment) and the facts column it starts from (customer_id, employee_id,
 * product_id, campaign_id). A missing value groups as '(none)'.
 */
export const customerDimensions: Record<string, Dimension> = {
  region: { label: 'Region', expr: sql`coalesce(c.region, '(none)')`, joins: ['customer'], description: "the customer's region" },
  country: { label: 'Country', expr: sql`coalesce(c.country, '(none)')`, joins: ['customer'] },
  industry: { label: 'Industry', expr: sql`coalesce(c.industry, a.industry, '(none)')`, joins: ['customer', 'account'] },
  acquisition_channel: { label: 'Acquisition channel', expr: sql`coalesce(c.acquisition_channel, '(none)')`, joins: ['customer'] },
  lifecycle_stage: { label: 'Lifecycle stage', expr: sql`coalesce(c.lifecycle_stage, '(none)')`, joins: ['customer'] },
  account: { label: 'Account', expr: sql`coalesce(a.name, c.account_id, '(none)')`, joins: ['customer', 'account'] },
  segment: {
    label: 'Segment (RFM)',
    expr: sql`coalesce(sg.segment, '(no RFM segment)')`,
    joins: ['segment'],
    description: "the customer's RFM segment in the latest segments run",
  },
  customer_id: { label: 'Customer', expr: sql`f.customer_id`, type: 'number' },
};

export const repDimensions: Record<string, Dimension> = {
  rep: { label: 'Rep', expr: sql`coalesce(e.name, f.employee_id, '(none)')`, joins: ['employee'] },
  rep_id: { label: 'Rep id', expr: sql`coalesce(f.employee_id, '(none)')` },
  team: { label: 'Team', expr: sql`coalesce(e.team, '(none)')`, joins: ['employee'] },
  manager: { label: 'Manager', expr: sql`coalesce(m.name, e.manager_id, '(none)')`, joins: ['employee', 'manager'] },
  rep_region: { label: 'Rep region', expr: sql`coalesce(e.region, '(none)')`, joins: ['employee'] },
};

export const productDimensions: Record<string, Dimension> = {
  product: { label: 'Product', expr: sql`coalesce(p.name, f.product_id)`, joins: ['product'], needs: 'lines' },
  product_id: { label: 'Product id', expr: sql`f.product_id`, needs: 'lines' },
  category: { label: 'Category', expr: sql`coalesce(p.category, '(none)')`, joins: ['product'], needs: 'lines' },
};

export const campaignDimensions: Record<string, Dimension> = {
  campaign: { label: 'Campaign', expr: sql`coalesce(cp.name, f.campaign_id, '(none)')`, joins: ['campaign'] },
  campaign_id: { label: 'Campaign id', expr: sql`coalesce(f.campaign_id, '(none)')` },
  campaign_channel: { label: 'Campaign channel', expr: sql`coalesce(cp.channel, '(none)')`, joins: ['campaign'] },
  target_segment: { label: 'Target segment', expr: sql`coalesce(cp.target_segment, '(none)')`, joins: ['campaign'] },
};
