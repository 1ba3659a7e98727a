import { CapabilityError } from "../../core/errors.js";
import type { LanguageModel, TokenLogprob } from "../../core/model.js";
import type { Problem } from "../../core/prompt.js";
import { aggregateSteps, type ScoreResult, type Scorer, type StepAggregation } from "../../core/scorer.js";
import { addUsage, emptyUsage } from "../../core/usage.js";

/** Configuration of a logprob-based process reward model. */
export interface LogprobPrmOptions {
  /** A model that can score continuations (`capabilities.promptLogprobs`). */
  model: LanguageModel;
  /** Marker written after every step; the PRM predicts good/bad right after it. Default `#`. */
  stepTag?: string;
  /** Token meaning "this step is right". Default `+`. */
  goodToken?: string;
  /** Token meaning "this step is wrong". Default `-`. */
  badToken?: string;
  /** What separates steps in a solution. Default newline. */
  stepDelimiter?: string;
  /** How step scores become the solution's score. Default `min`. */
  aggregation?: StepAggregation;
}

/**
 * A Math-Shepherd-style process reward model read from log-probabilities: each step of a solution
 * is followed by the step tag, and the step's score is P(good) / (P(good) + P(bad)) of the token the
 * model predicts after that tag. The same scoring path serves the embedded PRM and PRMs behind
 * servers that return prompt logprobs.
 */
export class LogprobPrm implements Scorer {
  readonly id: string;
  private readonly stepTag: string;
  private readonly good: string;
  private readonly bad: string;
  private readonly delimiter: string;
  private readonly aggregation: StepAggregation;

  constructor(private readonly options: LogprobPrmOptions) {
    if (!options.model.capabilities.promptLogprobs || !options.model.score) {
      throw new CapabilityError(
        `model ${options.model.id} cannot score continuations, which a logprob PRM needs`,
        {
          hint: "use the embedded backend or a server that returns prompt logprobs",
        },
      );
    }
    this.stepTag = options.stepTag ?? "#";
    this.good = options.goodToken ?? "+";
    this.bad = options.badToken ?? "-";
    this.delimiter = options.stepDelimiter ?? "\n";
    this.aggregation = options.aggregation ?? "min";
    this.id = `prm:${options.model.id}`;
  }

  /** The steps of a solution: its non-empty delimiter-separated parts. */
  splitSteps(solution: string): string[] {
    return solution.split(this.delimiter).filter((s) => s.trim() !== "");
  }

  async score(
    problem: Problem,
    solutions: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<ScoreResult> {
    const usage = emptyUsage();
    const scores = await Promise.all(
      solutions.map(async (solution) => {
        const steps = this.splitSteps(solution);
        if (steps.length === 0) return { value: 0, steps: [] };
        const tagged = steps.map((s) => s + this.stepTag + this.delimiter).join("");
        const response = await this.options.model.score!({
          prompt: problem.prompt,
          continuation: tagged,
          includeTokens: [this.good, this.bad],
          signal: options.signal,
        });
        addUsage(usage, response.usage);
        const stepScores = this.readTagScores(response.tokens, tagged);
        return { value: aggregateSteps(stepScores, this.aggregation), steps: stepScores };
      }),
    );
    return { scores, usage };
  }

  /** Finds each tag in the scored tokens and reads the good/bad odds predicted right after it. */
  private readTagScores(tokens: TokenLogprob[], tagged: string): number[] {
    const tagEnds = new Set<number>();
    for (let at = tagged.indexOf(this.stepTag); at >= 0; at = tagged.indexOf(this.stepTag, at + 1)) {
      tagEnds.add(at + this.stepTag.length);
    }
    const scores: number[] = [];
    let offset = 0;
    tokens.forEach((token, j) => {
      offset += token.token.length;
      if (!tagEnds.has(offset)) return;
      const next = tokens[j + 1]?.top;
      const good = Math.exp(next?.[this.good] ?? Number.NEGATIVE_INFINITY);
      const bad = Math.exp(next?.[this.bad] ?? Number.NEGATIVE_INFINITY);
      scores.push(good + bad > 0 ? good / (good + bad) : Number.NaN);
    });
    return scores;
  }
}
