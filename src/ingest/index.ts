export { loadPipelineFile, pipelineSchema, interpolateEnv, pipelineKey, type Pipeline, type SourceSpec, type FieldMapping } from './pipeline-schema.ts';
export { runPipeline, type RunResult, type RunOptions } from './load.ts';
export { runPipelineFile, findPipelineFiles, orderByDependencies, runAll } from './runner.ts';
