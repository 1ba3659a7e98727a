import type { LanguageModel } from "../core/model.js";
import type { Scorer } from "../core/scorer.js";
import type { Usage } from "../core/usage.js";

/**
 * The server's metering: wrappers that report each call's usage as soon as it returns, so that the
 * metrics and the record of a request that is aborted midway still count the calls that finished.
 * (The run's `ComputeMeter` reports only when the run ends.)
 */

/** A model whose every call reports its usage as soon as it returns. */
export function countingModel(inner: LanguageModel, onUsage: (usage: Usage) => void): LanguageModel {
  const wrapped: LanguageModel = {
    id: inner.id,
    capabilities: inner.capabilities,
    async complete(request) {
      const response = await inner.complete(request);
      onUsage(response.usage);
      return response;
    },
    close: () => inner.close(),
  };
  if (inner.score) {
    const score = inner.score.bind(inner);
    wrapped.score = async (request) => {
      const response = await score(request);
      // Scoring reads given tokens: nothing is generated.
      onUsage({ ...response.usage, completionTokens: 0 });
      return response;
    };
  }
  return wrapped;
}

/** A scorer whose every call reports its usage as soon as it returns. */
export function countingScorer(inner: Scorer, onUsage: (usage: Usage) => void): Scorer {
  return {
    id: inner.id,
    async score(problem, solutions, options) {
      const result = await inner.score(problem, solutions, options);
      onUsage(result.usage);
      return result;
    },
  };
}
