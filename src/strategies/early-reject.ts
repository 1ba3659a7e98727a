import type { FinishReason } from "../core/model.js";
import type { Problem } from "../core/prompt.js";
import type { Candidate, StopReason, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { requireScorer } from "./requirements.js";
import { roundStop, stopReasonOf } from "./rounds.js";
import { modelStepGenerator, type Step } from "./search/steps.js";

/** Settings of {@link earlyReject}. */
export interface EarlyRejectSettings extends SampleSettings {
  /** Candidates generated side by side; a wave starts once the one before it has ended. */
  wave: number;
  /** A partial solution whose score falls below this is stopped (0: only the bound rule). */
  floor: number;
  /** No new wave starts once a complete candidate scores at least this (above 1: never). */
  accept: number;
  /** Most tokens of one step. */
  stepTokens: number;
}

/** A candidate of an early-reject run and where it stands. */
export interface EarlyRejectEntry {
  /** Its place in the run (sample `index` of best-of-n under the same seed). */
  index: number;
  /** Its steps so far and the tokens generated for them. */
  text: string;
  tokens: number;
  steps: number;
  done: boolean;
  finishReason: FinishReason;
  /** Scorer value of its steps so far (its final score once done); NaN before it is scored. */
  score: number;
  stepScores?: number[];
  /** Stopped before its end. */
  rejected: boolean;
}

/** Where candidates' steps come from: the policy model, or known samples in a replay. */
export interface CandidateSteps {
  /** First steps of candidates `first` … `first + size − 1`. */
  start(first: number, size: number): Promise<Step[]>;
  /** The next step of each partial candidate (undefined: no room left under the token limit). */
  next(batch: readonly EarlyRejectEntry[]): Promise<(Step | undefined)[]>;
}

/** Scores solutions (partial or complete): one value, and per-step scores where the scorer has them. */
export type SolutionScorer = (texts: string[]) => Promise<{ value: number; steps?: number[] }[]>;

/** What the rules report while they run. */
export interface EarlyRejectHooks {
  /** An entry was started, scored (and maybe stopped), or resumed. */
  changed(entry: EarlyRejectEntry, event: "start" | "scored" | "resumed"): void;
  /** Checked before every wave: a reason to stop (budget, abort), or null. */
  halt(): StopReason | null;
  progress(message: string): void;
}

/**
 * The early-reject rules over any source of steps (see {@link earlyReject}): waves of candidates,
 * step by step, each scored after every step and stopped below the bound. `entries` fills as the run
 * goes, so that a caller catching a budget or abort error still has every candidate; returns why the
 * run ended. {@link bestOf} gives the answer.
 */
export async function earlyRejectRules(
  source: CandidateSteps,
  score: SolutionScorer,
  settings: Pick<EarlyRejectSettings, "n" | "wave" | "floor" | "accept">,
  entries: EarlyRejectEntry[],
  hooks: EarlyRejectHooks,
): Promise<StopReason> {
  /** Scores the batch, then stops its partial solutions below the best complete score or `floor`. */
  const judge = async (batch: EarlyRejectEntry[], floor: number) => {
    const scores = await score(batch.map((e) => e.text));
    batch.forEach((e, j) => {
      const s = scores[j];
      e.score = s ? s.value : Number.NaN;
      if (s?.steps) e.stepScores = s.steps;
    });
    const bound = Math.max(floor, bestOf(entries)?.score ?? Number.NEGATIVE_INFINITY);
    for (const e of batch) {
      // NaN never passes: a partial solution the scorer cannot rate is stopped.
      e.rejected = !e.done && !(e.score >= bound);
      hooks.changed(e, "scored");
    }
  };
  /** Adds one step to every entry of the batch; returns those that got one. */
  const advance = async (batch: EarlyRejectEntry[]) => {
    const next = await source.next(batch);
    return batch.filter((e, j) => {
      const step = next[j];
      if (!step) return false; // no room left under maxTokens: it stays partial
      e.text += step.text;
      e.tokens += step.tokens;
      e.steps++;
      e.done = step.done;
      e.finishReason = step.finishReason;
      return true;
    });
  };
  /** Runs a batch step by step until each one ends or is stopped. */
  const play = async (batch: EarlyRejectEntry[], floor: number) => {
    let active = batch;
    while (active.length > 0) {
      await judge(active, floor);
      active = active.filter((e) => !e.done && !e.rejected);
      if (active.length > 0) active = await advance(active);
    }
  };

  let reason: StopReason = "completed";
  for (let first = 0; first < settings.n; first += settings.wave) {
    const halt = hooks.halt();
    if (halt) return halt;
    if ((bestOf(entries)?.score ?? Number.NEGATIVE_INFINITY) >= settings.accept) {
      reason = "early-stop";
      break;
    }
    const steps = await source.start(first, Math.min(settings.wave, settings.n - first));
    const wave = steps.map((step) => {
      const entry: EarlyRejectEntry = {
        index: entries.length,
        text: step.text,
        tokens: step.tokens,
        steps: 1,
        done: step.done,
        finishReason: step.finishReason,
        score: Number.NaN,
        rejected: false,
      };
      entries.push(entry);
      hooks.changed(entry, "start");
      return entry;
    });
    await play(wave, settings.floor);
    const best = bestOf(entries);
    hooks.progress(
      `wave ${first / settings.wave + 1}: ${entries.length} started, ${entries.filter((e) => e.rejected).length} stopped early` +
        (best ? `, best score ${best.score.toFixed(3)}` : ""),
    );
  }
  // The floor may have stopped candidates that would still beat the best complete one (when none
  // better than the floor completed, or none at all): resume them, most promising first, under the
  // bound alone. Afterwards no stopped candidate could have won.
  for (;;) {
    const best = bestOf(entries)?.score ?? Number.NEGATIVE_INFINITY;
    const open = entries.filter((e) => e.rejected && key(e.score) > best);
    if (open.length === 0) break;
    const top = open.reduce((a, b) => (key(b.score) > key(a.score) ? b : a));
    top.rejected = false;
    hooks.changed(top, "resumed");
    await play([top], 0);
  }
  return reason;
}

/**
 * Early rejection with partial rewards (Cheshmi et al. 2025, "Accelerating LLM Reasoning via Early
 * Rejection with Partial Reward Modeling"; the speculative-rejection idea of Sun et al. 2024 applied
 * step by step): best-of-n whose candidates are generated one step at a time, in waves of `wave`,
 * and scored by the PRM after every step. A partial candidate stops as soon as its score falls
 * below the best complete candidate's score or below `floor`; no new wave starts once a complete
 * candidate scores `accept` or more. The answer is the best-scored complete candidate; if every
 * candidate was stopped, the most promising one is finished.
 *
 * With a scorer whose value can only fall as steps are added (a minimum over steps, such as the
 * `genprm` scorer or `prm` with `min` aggregation), the bound rule is exact: a stopped candidate
 * could not have overtaken the best complete one, so without `floor` and `accept` the answer is the
 * one best-of-n would pick from the same candidates. `floor` and `accept` trade a little of that
 * for tokens. With other scorers the bound is a heuristic (a partial score predicts the final one).
 */
export function earlyReject(settings: EarlyRejectSettings, spec = "early-reject"): Strategy {
  return {
    spec,
    needsScorer: true,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const scorer = requireScorer(ctx, "early-reject", "genprm");
      const generator = modelStepGenerator(problem, ctx, {
        temperature: settings.temperature,
        topP: settings.topP,
        topK: settings.topK,
        stepTokens: settings.stepTokens,
        ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
      });
      const meta = {
        strategy: "early-reject",
        wave: settings.wave,
        floor: settings.floor,
        accept: settings.accept,
      };
      const log = new CandidateLog(ctx, meta);
      const base = ctx.rng.seed();
      const root = { text: "", tokens: 0 };
      const source: CandidateSteps = {
        // First steps in one request, so that candidate i starts with best-of-n's seed base + i.
        start: async (first, size) =>
          (await generator.expand([{ from: root, n: size, seed: base + first }]))[0] ?? [],
        next: async (batch) =>
          (
            await generator.expand(
              batch.map((e) => ({
                from: { text: e.text, tokens: e.tokens },
                n: 1,
                seed: base + e.steps * settings.n + e.index,
              })),
            )
          ).map((steps) => steps[0]),
      };
      const score: SolutionScorer = async (texts) =>
        (await scorer.score(problem, texts, { signal: ctx.signal })).scores;
      const entries: EarlyRejectEntry[] = [];
      const hooks: EarlyRejectHooks = {
        changed(e, event) {
          const candidate = entryCandidate(e, ctx, event !== "start");
          if (event === "start") {
            log.add(candidate, "candidate", { wave: Math.floor(e.index / settings.wave) });
            return;
          }
          log.candidates[e.index] = candidate;
          if (e.rejected) log.update(e.index, "pruned", { rejectedAt: e.steps, partialScore: e.score });
          else
            log.update(
              e.index,
              event === "resumed" ? "candidate" : undefined,
              event === "resumed" ? { resumed: true } : undefined,
            );
        },
        halt: () => roundStop(ctx),
        progress: (message) => log.progress(message),
      };
      let stopReason: StopReason;
      try {
        stopReason = await earlyRejectRules(source, score, settings, entries, hooks);
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      ctx.trace.update(log.root, { meta: { ...meta, rejected: entries.filter((e) => e.rejected).length } });
      return log.outcome(bestOf(entries)?.index ?? -1, stopReason);
    },
  };
}

/** The best-scored complete candidate that was not stopped; the earliest on ties, as in best-of-n. */
export function bestOf<E extends Pick<EarlyRejectEntry, "done" | "rejected" | "score">>(
  entries: readonly E[],
): E | undefined {
  let best: E | undefined;
  for (const e of entries) {
    if (e.done && !e.rejected && !Number.isNaN(e.score) && (!best || e.score > best.score)) best = e;
  }
  return best;
}

const key = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);

/** An entry as the run's candidate record. */
function entryCandidate(e: EarlyRejectEntry, ctx: StrategyContext, scored: boolean): Candidate {
  const candidate: Candidate = {
    text: e.text,
    answer: ctx.extractAnswer(e.text),
    completionTokens: e.tokens,
    finishReason: e.finishReason,
  };
  if (scored) candidate.score = e.score;
  if (e.stepScores) candidate.stepScores = e.stepScores;
  return candidate;
}
