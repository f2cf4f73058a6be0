-- 303_export_members_compact: the per-member export audit (issue 5) in a compact form. Writing 1 M audit
-- rows cost more than the file itself, almost all of it in compressing the text columns on write, so:
--   status and reason become ENUMs (one byte each; text in and out, 'target' = status still works);
--   segment_name may be null, meaning "the export's segment" (export_log.segment_name): an export of one
--   segment stores no name per member; a whole-plan export (no segment in its log row) stores each
--   member's assigned segment. Read the resolved name through the view export_member_outcomes.
-- The grain is unchanged: one row per export per segment member.

create type export_member_status as enum ('target', 'holdout', 'excluded');

-- The channels' exclusion reasons (src/publish/exports/channels.ts), in the order they are checked.
create type export_exclusion_reason as enum ('do_not_contact', 'unsubscribed', 'no_opt_in', 'missing_address', 'malformed_address', 'duplicate');

alter table export_members alter column status type export_member_status;

alter table export_members alter column reason type export_exclusion_reason;

alter table export_members alter column segment_name drop not null;

-- Grain: one row per export per segment member, with the segment resolved from the export's log row.
create view export_member_outcomes as
select m.export_id, m.customer_id, m.status, m.reason, m.address_key, coalesce(m.segment_name, l.segment_name) as segment_name
from export_members m
join export_log l on l.export_id = m.export_id;
