export { Warehouse, ConnectionQueries, runScript, type Queryable, type Row, type Params } from './connection.ts';
export { sqlFile, quoteIdent, queriesDir } from './sql-files.ts';
export { entitySchemas, entityNames, entityKeys, fieldSpecs, interactionChannels, type EntityName, type FieldSpec, type FieldKind } from './entities.ts';
export type { Database } from './schema.ts';
export { plainConverter, type Plain } from './values.ts';
