import type { Generated } from 'kysely';
import type { z } from 'zod';
import type { entitySchemas, EntityName } from './entities.ts';

/** Columns every entity row carries: which pipeline run last wrote it. */
interface Lineage {
  _pipeline: string | null;
  _run_id: number | null;
  _loaded_at: string | null;
}

/** A warehouse row of an entity: the zod shape, optional fields nullable, customer_id resolved to a number. */
type EntityRow<E extends EntityName> = {
  [K in keyof z.infer<(typeof entitySchemas)[E]>]-?: K extends 'customer_id'
    ? undefined extends z.infer<(typeof entitySchemas)[E]>[K] ? number | null : number
    : undefined extends z.infer<(typeof entitySchemas)[E]>[K]
      ? Exclude<z.infer<(typeof entitySchemas)[E]>[K], undefined> | null
      : z.infer<(typeof entitySchemas)[E]>[K];
} & Lineage;

export interface CustomerExtra {
  email_norm: string | null;
  phone_norm: string | null;
}

export interface CustomerSourcesTable {
  source_system: string;
  external_id: string;
  customer_id: number;
  matched_on: 'external_id' | 'email' | 'phone' | 'new';
  email_norm: string | null;
  phone_norm: string | null;
  first_seen_run_id: number | null;
  linked_at: string;
}

export interface PipelineRunsTable {
  run_id: Generated<number>;
  pipeline: string;
  pipeline_file: string | null;
  entity: string;
  source: string | null;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  rows_read: number | null;
  rows_inserted: number | null;
  rows_updated: number | null;
  rows_unchanged: number | null;
  rows_deleted: number | null;
  rows_quarantined: number | null;
  tests_failed: number | null;
  watermark: string | null;
  error: string | null;
}

export interface QuarantineTable {
  run_id: number;
  pipeline: string;
  source_file: string | null;
  row_number: number | null;
  field: string | null;
  reason: string;
  raw_row: string | null;
}

export interface DataTestResultsTable {
  run_id: number;
  entity: string;
  test: 'not_null' | 'unique' | 'relationship' | 'accepted_values';
  column_name: string;
  failures: number;
  sample: string | null;
}

/** The warehouse as Kysely sees it. Model and later migrations add their tables here. */
export interface Database {
  accounts: EntityRow<'accounts'>;
  customers: EntityRow<'customers'> & CustomerExtra;
  customer_sources: CustomerSourcesTable;
  employees: EntityRow<'employees'>;
  quotas: EntityRow<'quotas'>;
  products: EntityRow<'products'>;
  orders: EntityRow<'orders'>;
  order_lines: EntityRow<'order_lines'>;
  deals: EntityRow<'deals'>;
  deal_stage_history: EntityRow<'deal_stage_history'>;
  interactions: EntityRow<'interactions'>;
  tickets: EntityRow<'tickets'>;
  campaigns: EntityRow<'campaigns'>;
  campaign_touches: EntityRow<'campaign_touches'>;
  subscriptions: EntityRow<'subscriptions'>;
  pipeline_runs: PipelineRunsTable;
  quarantine: QuarantineTable;
  data_test_results: DataTestResultsTable;
  pipeline_state: { pipeline: string; watermark: string | null; updated_at: string };
  warehouse_meta: { key: string; value: string };
}
