import { CapabilityError } from "../../core/errors.js";
import type { LanguageModel } from "../../core/model.js";
import type { Problem } from "../../core/prompt.js";
import { aggregateSteps, type ScoreResult, type Scorer, type StepAggregation } from "../../core/scorer.js";
import { addUsage, emptyUsage } from "../../core/usage.js";

/** How the token log-probabilities of one step become its score. */
export type LikelihoodReduce = "min" | "mean";

/** Configuration of {@link StepLikelihoodScorer}. */
export interface StepLikelihoodOptions {
  /** The model whose likelihood judges the steps (usually the policy itself); needs `promptLogprobs`. */
  model: LanguageModel;
  /** What separates steps. Default newline. */
  stepDelimiter?: string;
  /**
   * `min` (default): a step scores the probability of its least likely token, so one surprising
   * token (a slipped digit) sinks it; `mean`: the geometric mean probability of its tokens.
   */
  reduce?: LikelihoodReduce;
  /** How step scores become the solution's score. Default `min`. */
  aggregation?: StepAggregation;
  /** The scorer's name in its id (`<name>:<model id>`). Default `likelihood`. */
  name?: string;
  /**
   * Score each step as the prefix ending there: the lowest likelihood of this step and every step
   * before it. That is the process-reward meaning of a step score (the step *and all before it* are
   * right), which step-level search reads from the last step of a partial solution; without it a
   * consistent step after a wrong one scores high. Default false (each step on its own).
   */
  cumulative?: boolean;
}

/**
 * A verifier-free process scorer: each step scores how likely a model finds it given the problem
 * and the steps before it, read from the model's log-probabilities of the step's own tokens (a
 * step-level confidence signal in the spirit of Xie et al. 2023, "Self-Evaluation Guided Beam Search
 * for Reasoning", and Kang et al. 2025, "Scalable Best-of-N Selection via Self-Certainty"). With the
 * policy as the model, it asks "would I have written this step?": a step holding a token the policy
 * itself found unlikely — a sampled slip — scores low. It cannot catch a mistake the model is sure
 * of. With a separate model trained to write correct steps (a generative PRM, the `genprm` scorer,
 * with `cumulative` step scores), it asks "is this the step a careful solver would write?".
 */
export class StepLikelihoodScorer implements Scorer {
  readonly id: string;
  private readonly delimiter: string;
  private readonly reduce: LikelihoodReduce;
  private readonly aggregation: StepAggregation;

  constructor(private readonly options: StepLikelihoodOptions) {
    if (!options.model.capabilities.promptLogprobs || !options.model.score) {
      throw new CapabilityError(
        `model ${options.model.id} cannot score continuations, which the likelihood scorer needs`,
        { hint: "use the embedded backend or a server that returns prompt logprobs" },
      );
    }
    this.delimiter = options.stepDelimiter ?? "\n";
    this.reduce = options.reduce ?? "min";
    this.aggregation = options.aggregation ?? "min";
    this.id = `${options.name ?? "likelihood"}:${options.model.id}`;
  }

  async score(
    problem: Problem,
    solutions: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<ScoreResult> {
    const usage = emptyUsage();
    const scores = await Promise.all(
      solutions.map(async (solution) => {
        const spans = this.stepSpans(solution);
        if (spans.length === 0) return { value: 0, steps: [] };
        const response = await this.options.model.score!({
          prompt: problem.prompt,
          continuation: solution,
          signal: options.signal,
        });
        addUsage(usage, response.usage);
        // Each token belongs to the step in which it starts.
        const perStep: number[][] = spans.map(() => []);
        let offset = 0;
        for (const token of response.tokens) {
          const step = spans.findIndex(([from, to]) => offset >= from && offset < to);
          if (step >= 0) perStep[step]!.push(token.logprob);
          offset += token.token.length;
        }
        let prefix = 1;
        const steps = perStep.map((lps) => {
          if (lps.length === 0) return Number.NaN;
          const value =
            this.reduce === "min" ? Math.min(...lps) : lps.reduce((s, x) => s + x, 0) / lps.length;
          if (!this.options.cumulative) return Math.exp(value);
          prefix = Math.min(prefix, Math.exp(value));
          return prefix;
        });
        return { value: aggregateSteps(steps, this.aggregation), steps };
      }),
    );
    return { scores, usage };
  }

  /** Character spans [from, to) of the non-empty steps, each with its delimiter. */
  private stepSpans(solution: string): [number, number][] {
    const spans: [number, number][] = [];
    let from = 0;
    while (from < solution.length) {
      const at = solution.indexOf(this.delimiter, from);
      const to = at < 0 ? solution.length : at + this.delimiter.length;
      if (solution.slice(from, to).trim() !== "") spans.push([from, to]);
      from = to;
    }
    return spans;
  }
}
