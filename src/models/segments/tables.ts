import type { Kysely } from 'kysely';
import type { Database, Warehouse } from '../../warehouse/index.ts';

/** Tables of migration 300_segments (and 301_exports, which lift and diff read), as Kysely sees them. */
export interface SegmentDefinitionsTable {
  name: string;
  version: number;
  label: string | null;
  description: string | null;
  definition: string;
  definition_hash: string;
  is_deleted: boolean;
  comment: string | null;
  created_at: string;
  created_by: string | null;
}

export type CampaignPlansTable = SegmentDefinitionsTable;

export interface RfmSegmentMapTable {
  map_hash: string;
  r: number;
  f: number;
  m: number;
  segment: string;
  label: string;
  priority: number;
}

export interface SegmentRunsTable {
  run_id: number;
  as_of: string;
  status: 'running' | 'succeeded' | 'failed';
  params: string;
  value_run_id: number | null;
  customers_scored: number | null;
  segments_evaluated: number | null;
  segments_skipped: number | null;
  summary: string | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

/** Also the shape of the live (temporary) RFM table `_rfm_live`, without run_id and as_of. */
export interface RfmScoresTable {
  run_id: number;
  as_of: string;
  customer_id: number;
  last_order_at: string;
  recency_days: number;
  frequency: number;
  monetary: number;
  r_score: number;
  f_score: number;
  m_score: number;
  fm_score: number;
  rfm_cell: string;
  rfm_segment: string;
  rfm_label: string;
}

export interface SegmentMembershipTable {
  run_id: number;
  as_of: string;
  segment_name: string;
  customer_id: number;
}

export interface SegmentSizesTable {
  run_id: number;
  as_of: string;
  segment_name: string;
  source: 'builtin' | 'rfm' | 'user';
  segment_version: number | null;
  definition_hash: string;
  members: number | null;
  status: 'evaluated' | 'skipped';
  message: string | null;
}

export interface ExportLogTable {
  export_id: number;
  created_at: string;
  requested_by: string | null;
  segment_name: string | null;
  segment_version: number | null;
  plan_name: string | null;
  plan_version: number | null;
  definition: string;
  definition_hash: string;
  campaign_id: string | null;
  channel: string;
  format: string;
  path: string;
  fields: string;
  as_of: string;
  model_runs: string;
  holdout_share: number;
  holdout_key: string | null;
  diff_since: number | null;
  segment_members: number;
  excluded_do_not_contact: number;
  excluded_unsubscribed: number;
  excluded_no_opt_in: number;
  excluded_missing_address: number;
  excluded_malformed_address: number;
  excluded_duplicate: number;
  eligible: number;
  holdout: number;
  targeted: number;
  added: number | null;
  removed: number | null;
  rows_written: number;
  file_sha256: string;
  file_bytes: number;
  duration_ms: number;
}

export interface ExportMembersTable {
  export_id: number;
  customer_id: number;
  status: 'target' | 'holdout' | 'excluded';
  reason: string | null;
  address_key: string | null;
  /** Null: the export's own segment (export_log.segment_name); see the view export_member_outcomes. */
  segment_name: string | null;
}

/** The columns of the clv model's `customer_value` (docs/models.md) that segment rules read. */
export interface CustomerValueTable {
  run_id: number;
  as_of_date: string;
  customer_id: number;
  p_alive: number;
  expected_purchases: number;
  expected_mean_spend: number;
  clv: number;
  churn_tier: string;
  value_percentile: number;
  total_revenue: number;
}

export type SegmentTables = {
  segment_definitions: SegmentDefinitionsTable;
  campaign_plans: CampaignPlansTable;
  rfm_segment_map: RfmSegmentMapTable;
  segment_runs: SegmentRunsTable;
  rfm_scores: RfmScoresTable;
  _rfm_live: RfmScoresTable;
  segment_membership: SegmentMembershipTable;
  segment_sizes: SegmentSizesTable;
  export_log: ExportLogTable;
  export_members: ExportMembersTable;
  customer_value: CustomerValueTable;
};

export type SegmentDatabase = Database & SegmentTables;

/** The warehouse's Kysely instance, typed with the segment and export tables. */
export function segmentDb(wh: Warehouse): Kysely<SegmentDatabase> {
  return wh.db.withTables<SegmentTables>();
}
