-- 302_segment_clusters: behavioural clusters (k-means on standardised log-RFM) of a segment run's
-- RFM scores (src/models/segments/clusters.ts). Re-clustering a run replaces its rows.

-- Grain: one row per run per cluster: its size and centroid, in z-scores and back in original units.
create table segment_clusters (
  run_id bigint not null, -- segment_runs.run_id whose rfm_scores were clustered
  k integer not null,
  cluster integer not null, -- 1 = highest spend centroid
  label varchar not null, -- from the centroid, e.g. 'recent, frequent, high spend'
  customers bigint not null,
  share double not null,
  recency_days double not null, -- centroid back-transformed: exp(mean log(1 + x)) - 1
  frequency double not null,
  monetary double not null,
  z_recency double not null, -- centroid in standardised log(1 + x) units
  z_frequency double not null,
  z_monetary double not null,
  seed integer not null,
  sample_size integer not null, -- customers the centroids were fitted on
  fitted_at timestamptz not null
);

-- Grain: one row per run per scored customer: the nearest centroid.
create table customer_clusters (
  run_id bigint not null,
  customer_id bigint not null,
  cluster integer not null
);
