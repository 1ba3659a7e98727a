import { ConfigError } from "../../core/errors.js";
import type { Problem } from "../../core/prompt.js";
import { aggregateSteps, type ScoreResult, type Scorer, type StepAggregation } from "../../core/scorer.js";
import { emptyUsage } from "../../core/usage.js";
import { parseArithQuestion, splitArithSteps, verifyArithSteps } from "../../tasks/arith/index.js";

/** The arithmetic question of a problem: its raw prompt, or its last user message. */
export function arithQuestionOf(problem: Problem): string {
  const text =
    typeof problem.prompt === "string"
      ? problem.prompt
      : ([...problem.prompt.messages].reverse().find((m) => m.role === "user")?.content ?? "");
  const firstLine = text.trim().split("\n")[0] ?? "";
  if (!parseArithQuestion(firstLine)) {
    throw new ConfigError(
      `verifier:arith needs an arithmetic question like "Q:57+38-19", got ${JSON.stringify(firstLine)}`,
    );
  }
  return firstLine;
}

/**
 * The exact step verifier of the synthetic arithmetic task as a scorer: each step scores 1 when it
 * and every step before it are right, else 0. An oracle — an upper bound for benchmarks, never a
 * default.
 */
export class ArithVerifierScorer implements Scorer {
  readonly id = "verifier:arith";

  constructor(private readonly aggregation: StepAggregation = "min") {}

  async score(problem: Problem, solutions: string[]): Promise<ScoreResult> {
    const question = arithQuestionOf(problem);
    const scores = solutions.map((solution) => {
      const steps = verifyArithSteps(question, splitArithSteps(solution)).map((s) => (s.correct ? 1 : 0));
      return { value: aggregateSteps(steps, this.aggregation), steps };
    });
    return { scores, usage: emptyUsage() };
  }
}
