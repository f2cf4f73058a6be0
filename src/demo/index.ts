export { generateDemo, demoFiles, MAX_CUSTOMERS, type DemoFile } from './generate.ts';
export { defaultParameters, defaultDemoOptions, type DemoOptions, type DemoParameters, type Manifest, type ManifestFile, type BadRow } from './params.ts';
export { Rng, AliasTable } from './rng.ts';
