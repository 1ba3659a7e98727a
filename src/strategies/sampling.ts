/**
 * The sampling building blocks of the strategies, in three modules: `params.ts` (spec parameters and
 * settings), `candidates.ts` (candidates and the log that traces them) and `rounds.ts` (generation
 * requests, rounds, budget and abort checks). This module re-exports them for code written against
 * the single module; new code imports the one it needs.
 */
export * from "./candidates.js";
export * from "./params.js";
export * from "./rounds.js";
