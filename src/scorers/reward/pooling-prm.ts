import { requestJson } from "../../backends/openai-compatible/http.js";
import { BackendError } from "../../core/errors.js";
import type { Problem } from "../../core/prompt.js";
import { aggregateSteps, type ScoreResult, type Scorer, type StepAggregation } from "../../core/scorer.js";
import { emptyUsage } from "../../core/usage.js";

/** Options of {@link PoolingPrm}. */
export interface PoolingPrmOptions {
  /** The server's base URL, with or without `/v1` (the pooling route is at the root: `/pooling`). */
  baseUrl: string;
  /** The served reward model's name. */
  model: string;
  apiKey?: string;
  aggregation: StepAggregation;
  /** The token the model reads a step's score at (Qwen2.5-Math-PRM: `<extra_0>`). */
  stepSeparator?: string;
  /** What separates steps in a solution. Default newline. */
  stepDelimiter?: string;
  /** The system message the PRM was trained with. */
  system?: string;
  timeoutMs?: number;
}

const QWEN_PRM_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}.";

/**
 * A process reward model served by vLLM's pooling API (`vllm serve Qwen/Qwen2.5-Math-PRM-7B`, a
 * `*ForProcessRewardModel` with STEP pooling). One request per solution:
 *
 * ```
 * POST {root}/pooling
 * {"model": M, "messages": [{"role": "system", "content": SYSTEM},
 *                           {"role": "user", "content": QUESTION},
 *                           {"role": "assistant", "content": "step 1<extra_0>step 2<extra_0>"}]}
 * → {"data": [{"index": 0, "object": "pooling", "data": [[p_wrong, p_right], ...]}],
 *    "usage": {"prompt_tokens": T, "total_tokens": T}}
 * ```
 *
 * One `[p_wrong, p_right]` pair per separator token, in order (softmax over the two labels); a step's
 * score is `p_right`. Prompt tokens count in the scorer's usage, one call per solution.
 */
export class PoolingPrm implements Scorer {
  readonly id: string;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: PoolingPrmOptions) {
    this.id = `pooling-prm:${options.model}`;
    this.url = `${options.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")}/pooling`;
    this.headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  }

  async score(
    problem: Problem,
    solutions: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<ScoreResult> {
    const usage = emptyUsage();
    const started = performance.now();
    const separator = this.options.stepSeparator ?? "<extra_0>";
    const delimiter = this.options.stepDelimiter ?? "\n";
    const question = questionOf(problem);
    const scores = await Promise.all(
      solutions.map(async (solution) => {
        const steps = solution
          .split(delimiter)
          .map((s) => s.trim())
          .filter((s) => s !== "");
        if (steps.length === 0) return { value: Number.NaN, steps: [] };
        const body = {
          model: this.options.model,
          messages: [
            { role: "system", content: this.options.system ?? QWEN_PRM_SYSTEM },
            { role: "user", content: question },
            { role: "assistant", content: steps.join(separator) + separator },
          ],
        };
        const answer = (await requestJson(
          this.url,
          body,
          this.headers,
          this.options.timeoutMs ?? 120_000,
          options.signal,
        )) as { data?: { data?: number[][] }[]; usage?: { prompt_tokens?: number } };
        const rows = answer.data?.[0]?.data;
        if (!Array.isArray(rows) || rows.length !== steps.length) {
          throw new BackendError(
            `${this.url} returned ${Array.isArray(rows) ? rows.length : "no"} step scores for ${steps.length} steps`,
            { hint: "is the model a process reward model served with STEP pooling on this separator?" },
          );
        }
        usage.calls++;
        usage.promptTokens += answer.usage?.prompt_tokens ?? 0;
        const stepScores = rows.map((row) => Number(row[1]));
        return { value: aggregateSteps(stepScores, this.options.aggregation), steps: stepScores };
      }),
    );
    usage.wallMs = performance.now() - started;
    return { scores, usage };
  }
}

function questionOf(problem: Problem): string {
  if (typeof problem.prompt === "string") return problem.prompt;
  const users = problem.prompt.messages.filter((m) => m.role === "user");
  return users.at(-1)?.content ?? "";
}
