/**
 * Deterministic stand-ins for the strategy tests: a scripted policy model whose samples are known in
 * advance (one token per character, like the embedded arithmetic model), a scripted judge, and a
 * scorer that scores by a rule.
 */
import { existsSync } from "node:fs";
import type {
  Completion,
  CompletionRequest,
  CompletionResponse,
  LanguageModel,
  ModelCapabilities,
  TokenLogprob,
} from "../../src/core/model.js";
import type { Problem } from "../../src/core/prompt.js";
import type { ScoreResult, Scorer } from "../../src/core/scorer.js";
import type { Strategy, StrategyResult } from "../../src/core/strategy.js";
import { emptyUsage } from "../../src/core/usage.js";
import { embeddedModels } from "../../src/defaults.js";
import { scorers } from "../../src/scorers/registry.js";
import { ArithVerifierScorer } from "../../src/scorers/verifiers/arith-verifier.js";
import { type RunOptions, runStrategy } from "../../src/strategies/run.js";
import {
  extractArithAnswer,
  formatArithPrompt,
  generateArithSplit,
  statesArithAnswer,
} from "../../src/tasks/arith/index.js";
import { useResource } from "../helpers/models.js";

/** One scripted sample: its full text and the log-probability of each of its tokens. */
export interface ScriptedSample {
  text: string;
  /** One value for every token, or one per token. Default −0.1. */
  logprob?: number | number[];
}

/** `A:<answer>` solutions: the format the tests' answer extractor reads. */
export function solution(answer: string | null, body = "1+1=2\n"): string {
  return answer === null ? body : `${body}A:${answer}\n`;
}

/** Extracts `A:<answer>` (the last one) from a text. */
export function extractAnswer(text: string): string | null {
  const m = [...text.matchAll(/A:(\S+)/g)].at(-1);
  return m ? m[1]! : null;
}

/** The scripted task's completeness test: a solution is complete once it states `A:<answer>`. */
export const statesAnswer = (text: string): boolean => extractAnswer(text) !== null;

/**
 * A policy model that plays a script. Sample `i` of the run (its seed minus the first seed the model
 * saw) is `script(i)`. A request with a prefix continues the scripted sample that starts with that
 * prefix. Stop strings end a sample as on the embedded backend. With `stepwise`, tokens are produced one per event-loop turn, so concurrent requests
 * interleave as on a real batching backend and an abort stops a sample between tokens.
 */
export class ScriptedModel implements LanguageModel {
  readonly id = "scripted";
  readonly capabilities: ModelCapabilities;
  readonly requests: CompletionRequest[] = [];
  private base: number | null = null;
  private readonly started: ScriptedSample[] = [];

  constructor(
    private readonly script: (index: number) => ScriptedSample | string,
    private readonly options: { stepwise?: boolean; logprobs?: boolean; maxParallel?: number } = {},
  ) {
    this.capabilities = {
      logprobs: options.logprobs ?? true,
      promptLogprobs: false,
      maxParallel: options.maxParallel ?? 8,
      chat: false,
    };
  }

  /** Generated tokens over all requests. */
  generated = 0;

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    this.requests.push(request);
    const n = request.n ?? 1;
    const seed = request.seed ?? 0;
    if (this.base === null) this.base = seed;
    const usage = emptyUsage();
    usage.calls = 1;
    usage.promptTokens = String(request.prompt).length;
    const completions = await Promise.all(
      Array.from({ length: n }, (_, i) => this.sample(request, seed + i - this.base!)),
    );
    usage.completionTokens = completions.reduce((s, c) => s + c.completionTokens, 0);
    return { completions, usage };
  }

  private pick(request: CompletionRequest, index: number): { sample: ScriptedSample; offset: number } {
    const prefix = request.prefix ?? "";
    if (prefix) {
      const known = this.started.find((s) => s.text.startsWith(prefix));
      if (known) return { sample: known, offset: prefix.length };
    }
    const raw = this.script(index);
    const sample = typeof raw === "string" ? { text: raw } : raw;
    this.started.push(sample);
    return { sample, offset: 0 };
  }

  private async sample(request: CompletionRequest, index: number): Promise<Completion> {
    const { sample, offset } = this.pick(request, index);
    const rest = sample.text.slice(offset);
    const max = request.maxTokens ?? Number.POSITIVE_INFINITY;
    let text = "";
    const logprobs: TokenLogprob[] = [];
    for (let t = 0; t < rest.length; t++) {
      if (request.signal?.aborted) return this.done(text, "abort", text.length, logprobs, request);
      if (this.options.stepwise) await new Promise((r) => setImmediate(r));
      if (request.signal?.aborted) return this.done(text, "abort", text.length, logprobs, request);
      if (t >= max) return this.done(text, "length", text.length, logprobs, request);
      // A stop string ends the sample; its tokens are generated and counted but not returned.
      const stop = request.stop?.find((s) => s !== "" && rest.startsWith(s, t));
      if (stop) {
        this.generated += stop.length;
        return {
          ...this.done(text, "stop", text.length + stop.length, logprobs, request),
          stopSequence: stop,
        };
      }
      const char = rest[t]!;
      text += char;
      this.generated++;
      const lp = Array.isArray(sample.logprob)
        ? (sample.logprob[offset + t] ?? -0.1)
        : (sample.logprob ?? -0.1);
      // Alternatives share the rest of the mass, so a less likely token sits in a flatter
      // distribution; an unlikely sampled token is not among the top k at all.
      const k = request.topLogprobs ?? 0;
      const mass = Math.max(1e-9, 1 - Math.exp(lp));
      const top: Record<string, number> = {};
      const shared = Math.log(mass / Math.max(1, k - 1));
      if (lp >= shared) {
        top[char] = lp;
        for (let j = 1; j < k; j++) top[`alt${j}`] = shared;
      } else {
        for (let j = 0; j < k; j++) top[`alt${j}`] = Math.log(mass / k);
      }
      logprobs.push({ token: char, logprob: lp, ...(request.topLogprobs ? { top } : {}) });
    }
    // End of text costs one more token, as on the embedded backend.
    if (text.length < max) {
      this.generated++;
      return this.done(text, "stop", text.length + 1, logprobs, request);
    }
    return this.done(text, "length", text.length, logprobs, request);
  }

  private done(
    text: string,
    finishReason: Completion["finishReason"],
    completionTokens: number,
    logprobs: TokenLogprob[],
    request: CompletionRequest,
  ): Completion {
    return { text, finishReason, completionTokens, ...(request.logprobs ? { logprobs } : {}) };
  }

  async close(): Promise<void> {}
}

/** A judge that answers every prompt with `reply(prompt)`; it records the prompts it got. */
export class ScriptedJudge implements LanguageModel {
  readonly id = "scripted-judge";
  readonly capabilities: ModelCapabilities = {
    logprobs: false,
    promptLogprobs: false,
    maxParallel: 4,
    chat: true,
  };
  readonly prompts: string[] = [];

  constructor(private readonly reply: (prompt: string) => string) {}

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    const prompt =
      typeof request.prompt === "string"
        ? request.prompt
        : request.prompt.messages.map((m) => m.content).join("\n");
    this.prompts.push(prompt);
    const text = this.reply(prompt);
    const usage = emptyUsage();
    usage.calls = 1;
    usage.promptTokens = prompt.length;
    usage.completionTokens = text.length + 1;
    return { completions: [{ text, finishReason: "stop", completionTokens: text.length + 1 }], usage };
  }

  async close(): Promise<void> {}
}

/** A scorer that scores every solution by `rule(solution)`; step scores are one per line. */
export class RuleScorer implements Scorer {
  readonly id = "rule";
  readonly calls: string[][] = [];
  constructor(private readonly rule: (solution: string) => number) {}
  async score(_problem: Problem, solutions: string[]): Promise<ScoreResult> {
    this.calls.push(solutions);
    return { scores: solutions.map((s) => ({ value: this.rule(s) })), usage: emptyUsage() };
  }
}

/** The problem every scripted test asks. */
export const PROBLEM: Problem = { prompt: "Q:1+1\n" };

/**
 * Runs a strategy on a problem (default {@link PROBLEM}) with the scripted task's answer extractor and
 * completeness test, seed 7.
 */
export function run(
  strategy: Strategy,
  options: Partial<RunOptions> & { model: LanguageModel },
  problem: Problem = PROBLEM,
): Promise<StrategyResult> {
  return runStrategy(strategy, problem, {
    extractAnswer,
    isCompleteSolution: statesAnswer,
    seed: 7,
    ...options,
  });
}

/** Sum of the candidates' completion tokens. */
export function candidateTokens(result: StrategyResult): number {
  return result.candidates.reduce((s, c) => s + c.completionTokens, 0);
}

/**
 * The scorer for end-to-end runs on the embedded model: the embedded PRM when it is there, else the
 * exact arithmetic verifier (the PRM is trained separately and may be missing).
 */
export async function e2eScorer(): Promise<Scorer & { close?(): Promise<void> }> {
  if (existsSync(embeddedModels.prm)) return scorers.create("prm").open();
  return new ArithVerifierScorer("min");
}

/** A scorer opened for the enclosing suite (default: {@link e2eScorer}) and closed after it. */
export function useScorer(
  open: () => Promise<Scorer & { close?(): Promise<void> }> = e2eScorer,
): () => Scorer & { close?(): Promise<void> } {
  return useResource(open, async (scorer) => {
    await scorer.close?.();
  });
}

/** Arithmetic problems of the test split, as strategy problems. */
export function arithProblems(level: number, count: number): Problem[] {
  return generateArithSplit("test", level, count).map((p) => ({
    id: p.id,
    prompt: formatArithPrompt(p),
    gold: String(p.answer),
  }));
}

/** Run options for the embedded policy on the arithmetic task (short solutions). */
export function arithOptions(model: LanguageModel, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    model,
    extractAnswer: extractArithAnswer,
    isCompleteSolution: statesArithAnswer,
    seed: 3,
    defaults: { maxTokens: 60 },
    ...extra,
  };
}
