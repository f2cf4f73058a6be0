-- Purpose: the tables and views that exist in the warehouse (panels whose model tables are missing show an empty state).
-- Grain: one row per table or view in the main schema.
-- Parameters: none.
select table_name
from duckdb_tables()
where schema_name = 'main'
union all
select view_name
from duckdb_views()
where schema_name = 'main' and not internal
