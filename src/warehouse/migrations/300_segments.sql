-- 300_segments: segments, campaign plans, RFM scores and membership history (src/models/segments, issue 5).
-- Definitions are versioned: a change adds a row, nothing is overwritten. Model outputs (rfm_scores,
-- segment_membership, segment_sizes) keep every run, keyed by run_id (→ segment_runs.run_id).

create sequence segment_run_id_seq start 1;

-- One row per version of a user segment; the current version is the highest. is_deleted marks a delete.
create table segment_definitions (
  name varchar not null, -- slug: lowercase letters, digits, '-', '_'
  version integer not null, -- 1, 2, ... per name
  label varchar,
  description varchar,
  definition json not null, -- the whole validated definition {name, label, description, rule}
  definition_hash varchar not null, -- sha256 of the canonical JSON of the rule
  is_deleted boolean not null default false,
  comment varchar, -- why this version was made
  created_at timestamptz not null,
  created_by varchar
);

-- One row per version of a campaign plan: a priority list of segments (first = highest priority).
create table campaign_plans (
  name varchar not null,
  version integer not null,
  label varchar,
  description varchar,
  definition json not null, -- {name, label, description, segments: [...]}
  definition_hash varchar not null,
  is_deleted boolean not null default false,
  comment varchar,
  created_at timestamptz not null,
  created_by varchar
);

-- The 125 (r, f, m) cells of each RFM score map that was used, so a run says exactly which map named it.
create table rfm_segment_map (
  map_hash varchar not null,
  r integer not null,
  f integer not null,
  m integer not null,
  segment varchar not null, -- slug, e.g. champions
  label varchar not null, -- e.g. Champions
  priority integer not null -- position of the segment in the map (1 = first)
);

-- One row per segment model run.
create table segment_runs (
  run_id bigint not null,
  as_of date not null, -- the day described, inclusive
  status varchar not null, -- running | succeeded | failed
  params json not null, -- lookback, tie handling, score map hash
  value_run_id bigint, -- the customer_value (clv) run whose scores rules saw; null when none
  customers_scored bigint, -- customers with an RFM score
  segments_evaluated integer,
  segments_skipped integer,
  summary varchar,
  error varchar,
  started_at timestamptz not null,
  finished_at timestamptz,
  duration_ms bigint
);

-- Grain: one row per run per customer with a purchase (model_purchases) on or before as_of (within the lookback).
create table rfm_scores (
  run_id bigint not null,
  as_of date not null,
  customer_id bigint not null,
  last_order_at timestamptz not null,
  recency_days integer not null, -- as_of - day of the last purchase
  frequency integer not null, -- purchases (completed or returned orders)
  monetary decimal(18, 2) not null, -- net value of purchases (model_purchases)
  r_score integer not null, -- 1..5, 5 = most recent
  f_score integer not null, -- 1..5, 5 = most orders
  m_score integer not null, -- 1..5, 5 = most spent
  fm_score integer not null, -- round half up of (f + m) / 2
  rfm_cell varchar not null, -- e.g. '545'
  rfm_segment varchar not null, -- slug from the score map
  rfm_label varchar not null
);

-- Grain: one row per run per segment per member.
create table segment_membership (
  run_id bigint not null,
  as_of date not null,
  segment_name varchar not null,
  customer_id bigint not null
);

-- Grain: one row per run per segment: the size and what was evaluated (or why it was skipped).
create table segment_sizes (
  run_id bigint not null,
  as_of date not null,
  segment_name varchar not null,
  source varchar not null, -- builtin | rfm | user
  segment_version integer, -- null for built-ins (their definition_hash identifies them)
  definition_hash varchar not null,
  members bigint, -- null when skipped
  status varchar not null, -- evaluated | skipped
  message varchar -- why skipped
);
