-- 301_exports: campaign target lists (src/publish/exports, issue 5): the audit log of every export and
-- who was in it (target, holdout or excluded, with the reason), which diff mode and lift read back.

create sequence export_id_seq start 1;

-- One row per successful export: its manifest.
create table export_log (
  export_id bigint not null,
  created_at timestamptz not null,
  requested_by varchar,
  segment_name varchar, -- the segment exported (within the plan when plan_name is set)
  segment_version integer, -- null for built-ins
  plan_name varchar,
  plan_version integer,
  definition json not null, -- the segment/plan definition with every segment it references
  definition_hash varchar not null, -- sha256 of that expanded definition
  campaign_id varchar,
  channel varchar not null, -- email | sms | phone | mail
  format varchar not null, -- csv | ndjson | json | parquet | arrow
  path varchar not null,
  fields json not null, -- the columns written, in order
  as_of date not null, -- the day the segment was evaluated for
  model_runs json not null, -- {"customer_value_run_id": …, "segment_run_id": …, "rfm": "live as of …"}
  holdout_share double not null,
  holdout_key varchar, -- campaign id (or segment) and seed: the hash key of the holdout
  diff_since bigint, -- export_id compared against, in diff mode
  segment_members bigint not null, -- members of the segment before any exclusion
  excluded_do_not_contact bigint not null,
  excluded_unsubscribed bigint not null,
  excluded_no_opt_in bigint not null,
  excluded_missing_address bigint not null,
  excluded_malformed_address bigint not null,
  excluded_duplicate bigint not null, -- same normalised address as a kept customer
  eligible bigint not null, -- contactable, one per address: target + holdout
  holdout bigint not null,
  targeted bigint not null, -- eligible minus holdout
  added bigint, -- diff mode: targeted now, not in diff_since
  removed bigint, -- diff mode: targeted in diff_since, not now
  rows_written bigint not null, -- rows in the file
  file_sha256 varchar not null,
  file_bytes bigint not null,
  duration_ms bigint not null
);

-- Grain: one row per export per segment member (the full list, also in diff mode).
create table export_members (
  export_id bigint not null,
  customer_id bigint not null,
  status varchar not null, -- target | holdout | excluded
  reason varchar, -- excluded: do_not_contact | unsubscribed | no_opt_in | missing_address | malformed_address | duplicate
  address_key varchar, -- excluded members: the normalised address checked (for duplicates, the one kept under another customer)
  segment_name varchar not null -- the segment the member was exported under (plans: the assigned one)
);
