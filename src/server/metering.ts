import type { LanguageModel } from "../core/model.js";
import type { Scorer } from "../core/scorer.js";
import type { Usage } from "../core/usage.js";
import { reportModelUsage, reportScorerUsage, wrapModel, wrapScorer } from "../core/wrap.js";

/**
 * The server's metering: the core wrappers that report each call's usage as soon as it returns, so
 * that the metrics and the record of a request that is aborted midway still count the calls that
 * finished. (The run's `ComputeMeter` reports only when the run ends.)
 */

/** A model whose every call reports its usage as soon as it returns. */
export function countingModel(inner: LanguageModel, onUsage: (usage: Usage) => void): LanguageModel {
  return wrapModel(inner, reportModelUsage(onUsage));
}

/** A scorer whose every call reports its usage as soon as it returns. */
export function countingScorer(inner: Scorer, onUsage: (usage: Usage) => void): Scorer {
  return wrapScorer(inner, reportScorerUsage(onUsage));
}
