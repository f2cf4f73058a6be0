import { loadConfig, type Config } from '../config.ts';
import { Warehouse } from '../warehouse/index.ts';

/** What every command gets: the parsed config and a lazily opened warehouse. */
export interface CliContext {
  config: Config;
  warehouse(): Promise<Warehouse>;
  out(text: string): void;
  err(text: string): void;
}

export function createContext(): CliContext & { close(): Promise<void> } {
  const config = loadConfig();
  let wh: Promise<Warehouse> | undefined;
  return {
    config,
    warehouse: () => (wh ??= Warehouse.open(config.db, { threads: config.threads, memoryLimit: config.memoryLimit })),
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    close: async () => {
      if (wh) await (await wh).close();
    },
  };
}
