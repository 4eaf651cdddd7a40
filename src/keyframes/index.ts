/** The keyframe file format: schema, schedules, prompts, seeds, sampler names, validation and loading. */
export * from './schema.js';
export { buildSchedule, type Schedule } from './schedule.js';
export { buildStringSchedule, type StringSchedule } from './string-schedule.js';
export { type ScheduleContext, type ScheduleContextInput } from './schedule-keys.js';
export { compileExpression, formatNumber, ExpressionError, type CompiledExpression, type ExpressionScope } from './expression.js';
export { ScheduleSyntaxError } from './schedule-text.js';
export { easings, interpolationNames } from './interpolation.js';
export { buildPromptSchedule, mergeGlobalPrompts, splitPrompt, type FramePrompt, type PromptPair } from './prompts.js';
export { derivedSeed, resolveRunSeed, seedOfDiffusedFrame, wrapSeed, type RunSeed } from './seeds.js';
export * from './sampler-names.js';
export { validateAnimationText, formatProblem, type Problem, type Validation } from './validate.js';
export { loadAnimation, readInputFile, type LoadedAnimation } from './load.js';
export { importDeforumSettings, unmergePrompt, type DeforumImport } from './deforum-import.js';
