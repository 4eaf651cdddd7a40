/** Animation → one FrameJob per frame. */
export { FrameJobSchema, type FrameJob } from './frame-job.js';
export { planAnimation, buildAnimationSchedules, planSeed, type PlanOptions, type AnimationSchedules } from './plan.js';
