/** Warm agents: Claude Code started ahead of requests, one new session each (see pool.ts). */
export { Demand, targets, type ShapeNeed } from './demand.js';
export { WarmPool, type DiscardReason, type Spare, type TakeResult, type WarmPoolOptions, type WarmPoolStats } from './pool.js';
export { notEligible, shapeKey, type NotEligible, type RequestFacts, type WarmShape } from './shape.js';
