-- 401_dashboard_segments: the dashboards' segment filter.
-- dash_segment_members(segment): the customers in `segment` as of the latest succeeded segment run
-- (segment_membership, issue 5). The filter asks "how do the customers who are in this segment now
-- behave over the chosen range" — membership is today's, the facts are historical. An unknown
-- segment or a warehouse without segment runs yields no customers.
create or replace macro dash_segment_members(segment) as table
  select m.customer_id
  from segment_membership as m
  where m.segment_name = segment
    and m.run_id = (select max(run_id) from segment_runs where status = 'succeeded');
