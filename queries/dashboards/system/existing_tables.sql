-- Purpose: the tables that exist in the warehouse (panels whose model tables are missing show an empty state).
-- Grain: one row per table in the main schema.
-- Parameters: none.
select table_name
from duckdb_tables()
where schema_name = 'main'
