import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../errors.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Our own stylesheet and client script (served under /assets, inlined by the static export). */
export const assetsDir = join(here, 'assets');

const nodeModules = resolve(here, '../../../node_modules');

/** vega, vega-lite and vega-embed browser builds, served from node_modules under /vendor (no CDN). */
export const vendorFiles: Record<string, string> = {
  'vega.min.js': join(nodeModules, 'vega/build/vega.min.js'),
  'vega-lite.min.js': join(nodeModules, 'vega-lite/build/vega-lite.min.js'),
  'vega-embed.min.js': join(nodeModules, 'vega-embed/build/vega-embed.min.js'),
};

/** The order the browser must load them in. */
export const vendorScripts = ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js'];

const cache = new Map<string, string>();

/** A vendor or asset file's text, cached; INTERNAL with the path when npm did not install it. */
export function assetText(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    if (!existsSync(path)) throw new AppError('INTERNAL', `${path} is missing; run npm ci`);
    text = readFileSync(path, 'utf8');
    cache.set(path, text);
  }
  return text;
}
