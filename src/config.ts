import { z } from 'zod';
import { fromZodError } from './errors.ts';

/** Settings come from the environment (and flags that set it); parsed once, here. */
export const configSchema = z.object({
  /** The warehouse file. */
  db: z.string().min(1).default('data/crm.duckdb'),
  /** Where `crm generate` writes and the demo pipelines read. */
  demoDir: z.string().min(1).default('data/demo-export'),
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  host: z.string().default('127.0.0.1'),
  /** DuckDB threads; defaults to the machine's cores. */
  threads: z.coerce.number().int().positive().optional(),
  memoryLimit: z.string().optional(),
});
export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse({
    db: env.CRM_DB || undefined,
    demoDir: env.CRM_DEMO_DIR || undefined,
    port: env.PORT || undefined,
    host: env.HOST || undefined,
    threads: env.CRM_THREADS || undefined,
    memoryLimit: env.CRM_MEMORY_LIMIT || undefined,
  });
  if (!parsed.success) throw fromZodError(parsed.error, 'environment');
  return parsed.data;
}
