/**
 * Fitting an allocation policy: given, for every fitting problem, its difficulty estimate and what
 * each candidate strategy would have achieved on it (correct or not, generated tokens), choose one
 * strategy per difficulty bin so that the mean accuracy is highest while the mean generated tokens
 * stay within the budget. That is a multiple-choice knapsack (one item per bin); with a handful of
 * bins and strategies it is solved exactly by merging per-bin Pareto frontiers of (tokens, correct).
 * Pure: no I/O.
 */
import { ConfigError } from "../core/errors.js";

/** A token budget below the cheapest policy the candidates allow. */
export class BudgetTooLowError extends ConfigError {}

/** What one strategy did (or would do) on one problem. */
export interface ActionOutcome {
  /** 1 when its answer was right, 0 when not (a fraction for an expectation). */
  correct: number;
  /** Generated tokens, warm-up included. */
  tokens: number;
}

/** A fitting problem: its difficulty estimate and the outcome of every candidate strategy. */
export interface ProblemOutcomes {
  id: string;
  /** Higher is easier; NaN falls into the first bin. */
  difficulty: number;
  actions: Record<string, ActionOutcome>;
}

/** One bin of a fit. */
export interface FittedBin {
  from: number | null;
  strategy: string;
  problems: number;
  accuracy: number;
  tokens: number;
}

/** A fit: the bins and what the policy achieves on the fitting problems. */
export interface FitResult {
  bins: FittedBin[];
  accuracy: number;
  /** Mean generated tokens per problem (at most the budget). */
  tokens: number;
  problems: number;
}

/**
 * Lower edges of the difficulty bins: the distinct values when there are at most `maxBins` of them
 * (an agreement over k samples has k + 1), else `maxBins` quantile bins, merged where quantiles tie.
 * The first bin has no lower edge, so the result has one fewer entry than there are bins.
 */
export function binEdges(values: readonly number[], maxBins: number): number[] {
  if (!Number.isInteger(maxBins) || maxBins < 1)
    throw new ConfigError(`bins must be at least 1, got ${maxBins}`);
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const distinct = [...new Set(sorted)];
  if (distinct.length <= maxBins) return distinct.slice(1);
  const edges: number[] = [];
  for (let b = 1; b < maxBins; b++) {
    const edge = sorted[Math.floor((b * sorted.length) / maxBins)]!;
    if (edge > sorted[0]! && (edges.length === 0 || edge > edges[edges.length - 1]!)) edges.push(edge);
  }
  return edges;
}

/** Bin index of `value` under lower `edges` (see {@link binEdges}); NaN: bin 0. */
export function binOfValue(edges: readonly number[], value: number): number {
  if (Number.isNaN(value)) return 0;
  let bin = 0;
  for (const edge of edges) if (value >= edge) bin++;
  return bin;
}

interface Plan {
  correct: number;
  tokens: number;
  choice: number[];
}

/** Keeps the plans no other plan beats with fewer or equal tokens (strictly more correct as tokens grow). */
function paretoFront(plans: Plan[], maxTokens: number): Plan[] {
  const sorted = plans
    .filter((p) => p.tokens <= maxTokens + 1e-9)
    .sort((a, b) => a.tokens - b.tokens || b.correct - a.correct);
  const front: Plan[] = [];
  for (const plan of sorted) {
    if (front.length === 0 || plan.correct > front[front.length - 1]!.correct + 1e-12) front.push(plan);
  }
  return front;
}

/** Options of {@link fitAllocation}. */
export interface FitOptions {
  /** Mean generated tokens per problem the policy may spend. */
  budgetTokens: number;
  /** Most difficulty bins (default 6). */
  maxBins?: number;
  /** Candidate strategies (default: those every problem has an outcome for). */
  strategies?: readonly string[];
}

/**
 * Fits the bins' strategies: the highest mean accuracy over `problems` whose mean generated tokens
 * are at most `budgetTokens` (ties: fewer tokens; then the earlier strategy).
 *
 * @throws ConfigError when there are no problems or strategies, a problem lacks a candidate's
 *   outcome, or (BudgetTooLowError) not even the cheapest choice fits the budget (the message gives its
 *   cost).
 */
export function fitAllocation(problems: readonly ProblemOutcomes[], options: FitOptions): FitResult {
  if (problems.length === 0) throw new ConfigError("no problems to fit a policy on");
  if (!(options.budgetTokens > 0)) {
    throw new ConfigError(`the token budget must be positive, got ${options.budgetTokens}`);
  }
  const names = options.strategies ?? commonStrategies(problems);
  if (names.length === 0) throw new ConfigError("no strategy has an outcome on every fitting problem");
  for (const p of problems) {
    for (const name of names) {
      if (!p.actions[name]) throw new ConfigError(`problem ${p.id} has no outcome for ${name}`);
    }
  }
  const edges = binEdges(
    problems.map((p) => p.difficulty),
    options.maxBins ?? 6,
  );
  const members: ProblemOutcomes[][] = Array.from({ length: edges.length + 1 }, () => []);
  for (const p of problems) members[binOfValue(edges, p.difficulty)]!.push(p);
  const totalBudget = options.budgetTokens * problems.length;

  // Per bin and strategy: total correct and total tokens over the bin's problems.
  const options_ = members.map((bin) =>
    names.map((name) => {
      let correct = 0;
      let tokens = 0;
      for (const p of bin) {
        correct += p.actions[name]!.correct;
        tokens += p.actions[name]!.tokens;
      }
      return { correct, tokens };
    }),
  );
  let front: Plan[] = [{ correct: 0, tokens: 0, choice: [] }];
  for (const choices of options_) {
    const next: Plan[] = [];
    for (const plan of front) {
      choices.forEach((c, i) => {
        next.push({
          correct: plan.correct + c.correct,
          tokens: plan.tokens + c.tokens,
          choice: [...plan.choice, i],
        });
      });
    }
    front = paretoFront(next, totalBudget);
    if (front.length === 0) {
      const cheapest = options_.reduce((sum, bin) => sum + Math.min(...bin.map((c) => c.tokens)), 0);
      throw new BudgetTooLowError(
        `a budget of ${options.budgetTokens} tokens per problem is below the cheapest policy ` +
          `(${(cheapest / problems.length).toFixed(1)} tokens per problem, warm-up included)`,
        { hint: "raise --budget-tokens or use a smaller warm-up" },
      );
    }
  }
  const best = front[front.length - 1]!;
  const bins: FittedBin[] = members.map((bin, b) => {
    const pick = options_[b]![best.choice[b]!]!;
    return {
      from: b === 0 ? null : edges[b - 1]!,
      strategy: names[best.choice[b]!]!,
      problems: bin.length,
      accuracy: bin.length ? pick.correct / bin.length : 0,
      tokens: bin.length ? pick.tokens / bin.length : 0,
    };
  });
  return {
    bins,
    accuracy: best.correct / problems.length,
    tokens: best.tokens / problems.length,
    problems: problems.length,
  };
}

/** Strategies with an outcome on every problem, in the first problem's order. */
export function commonStrategies(problems: readonly ProblemOutcomes[]): string[] {
  const first = problems[0];
  if (!first) return [];
  return Object.keys(first.actions).filter((name) => problems.every((p) => p.actions[name] !== undefined));
}
