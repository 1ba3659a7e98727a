import { z } from "zod";
import { readPolicy } from "../allocation/policy.js";
import { Registry } from "../core/spec.js";
import type { Strategy } from "../core/strategy.js";
import { adaptiveConsistency } from "./adaptive-consistency.js";
import { autoStrategy } from "./auto.js";
import { bestOfN } from "./best-of-n.js";
import { confidenceGuidedStopping } from "./cges.js";
import { deepConf } from "./deepconf.js";
import { earlyReject } from "./early-reject.js";
import { earlyStoppingConsistency } from "./esc.js";
import { firstFinish } from "./first-finish.js";
import { greedy } from "./greedy.js";
import { judgeParams } from "./judge.js";
import { critiqueParams, layers, makeCritique, makeFuse, makeRank, rankParams } from "./layers.js";
import { mbr } from "./mbr.js";
import { samplesParam, samplingParams } from "./params.js";
import { isPipeline, pipelineStrategy, sampleThen, splitPipeline } from "./pipeline.js";
import { sample } from "./sample.js";
import { defineSearchStrategies } from "./search/specs.js";
import { selfCertainty } from "./self-certainty.js";
import { selfConsistency } from "./self-consistency.js";
import { speculativeRejection } from "./speculative-rejection.js";
import { weightedVote } from "./weighted-vote.js";

/**
 * Every strategy by spec name. `strategies.create("sc:n=16,temperature=0.8")` returns a configured
 * {@link Strategy}; the CLI and the server use this same table.
 */
/** Alternatives per generated token that a confidence-reading strategy asks the backend for. */
function topLogprobsParam(description: string) {
  return z.coerce.number().int().min(1).max(100).default(5).describe(description);
}

export const strategies = new Registry<Strategy>("strategy");

strategies.define({
  name: "greedy",
  description: "one solution at temperature 0",
  params: z.object({ maxTokens: samplingParams.maxTokens }),
  create: (p, spec) => greedy(p, spec),
});

strategies.define({
  name: "sample",
  description: "n independent samples, no selection (coverage, pass@k)",
  params: z.object({ n: samplesParam(8), ...samplingParams }),
  create: (p, spec) => sample(p, spec),
});

strategies.define({
  name: "self-consistency",
  aliases: ["sc"],
  description: "sample n solutions, majority vote over their answers",
  params: z.object({ n: samplesParam(16), ...samplingParams }),
  create: (p, spec) => selfConsistency(p, spec),
});

strategies.define({
  name: "best-of-n",
  aliases: ["bon"],
  description: "sample n solutions, return the one the scorer rates highest",
  params: z.object({ n: samplesParam(16), ...samplingParams }),
  create: (p, spec) => bestOfN(p, spec),
});

strategies.define({
  name: "weighted-vote",
  aliases: ["wv"],
  description: "sample n solutions, majority vote weighted by the scorer's scores",
  params: z.object({
    n: samplesParam(16),
    ...samplingParams,
    aggregate: z
      .enum(["sum", "max", "mean"])
      .default("sum")
      .describe("how an answer's candidate scores make its weight"),
  }),
  create: (p, spec) => weightedVote(p, spec),
});

strategies.define({
  name: "self-certainty",
  description: "sample n solutions with logprobs, pick by the model's own confidence (no verifier)",
  params: z.object({
    n: samplesParam(16),
    ...samplingParams,
    metric: z
      .enum(["mean", "lowest-group", "bottom-group", "tail"])
      .default("mean")
      .describe("how a candidate's token signals make its confidence"),
    token: z
      .enum(["logprob", "confidence", "entropy"])
      .default("logprob")
      .describe("the per-token confidence signal"),
    window: z.coerce
      .number()
      .int()
      .min(1)
      .default(8)
      .describe("tokens per sliding window (lowest-group, bottom-group, tail)"),
    bottom: z.coerce
      .number()
      .gt(0)
      .max(1)
      .default(0.1)
      .describe("share of the lowest window means that bottom-group averages"),
    topLogprobs: topLogprobsParam("alternatives per token read by token=confidence and token=entropy"),
    select: z
      .enum(["best", "borda"])
      .default("best")
      .describe("best: the most confident candidate; borda: a rank-weighted vote over answers"),
    p: z.coerce
      .number()
      .min(0)
      .max(10)
      .default(0.5)
      .describe("exponent of the Borda weights (n − rank + 1)^p"),
  }),
  create: (p, spec) => selfCertainty(p, spec),
});

strategies.define({
  name: "deepconf",
  description: "DeepConf online: warm-up threshold, confidence-based early termination, weighted vote",
  params: z.object({
    n: samplesParam(32, "most traces started"),
    ...samplingParams,
    warmup: z.coerce
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(8)
      .describe("full traces that set the confidence threshold"),
    keep: z.coerce
      .number()
      .gt(0)
      .max(1)
      .default(0.9)
      .describe("share of warm-up traces above the threshold (0.1: DeepConf-low, 0.9: DeepConf-high)"),
    window: z.coerce.number().int().min(1).default(8).describe("tokens per group-confidence window"),
    chunk: z.coerce
      .number()
      .int()
      .min(1)
      .default(8)
      .describe("tokens generated between two checks of a trace's confidence"),
    consensus: z.coerce
      .number()
      .gt(0)
      .default(0.95)
      .describe("stop once the leading answer holds this share of the weighted vote (> 1 is off)"),
    topLogprobs: topLogprobsParam("alternatives per token read by the confidence signal"),
    token: z
      .enum(["confidence", "logprob", "entropy"])
      .default("confidence")
      .describe("the per-token confidence signal"),
    batch: z.coerce
      .number()
      .int()
      .min(0)
      .max(4096)
      .default(0)
      .describe("online traces generated at once (0: the backend's maxParallel)"),
  }),
  create: (p, spec) => deepConf(p, spec),
});

strategies.define({
  name: "adaptive-sc",
  aliases: ["adaptive-consistency"],
  description:
    "self-consistency in rounds, stopping when a posterior says more samples would not change the vote",
  params: z.object({
    n: samplesParam(40, "most samples drawn"),
    ...samplingParams,
    batch: z.coerce.number().int().min(1).max(4096).default(4).describe("samples per round"),
    criterion: z
      .enum(["beta", "dirichlet", "gain"])
      .default("beta")
      .describe(
        "the stopping rule: a posterior on the leading answer, or the accuracy more samples would add",
      ),
    threshold: z.coerce
      .number()
      .gt(0)
      .lt(1)
      .default(0.95)
      .describe("stop once the leader's posterior probability reaches this (beta, dirichlet)"),
    epsilon: z.coerce
      .number()
      .gt(0)
      .lt(1)
      .default(0.01)
      .describe("stop once the expected accuracy gain of the remaining samples is below this (gain)"),
  }),
  create: (p, spec) => adaptiveConsistency(p, spec),
});

strategies.define({
  name: "cges",
  aliases: ["confidence-guided-sc"],
  description:
    "self-consistency in rounds, stopping when a posterior that weighs each sample by its token confidence decides the answer",
  params: z.object({
    n: samplesParam(40, "most samples drawn"),
    ...samplingParams,
    batch: z.coerce.number().int().min(1).max(4096).default(4).describe("samples per round"),
    threshold: z.coerce
      .number()
      .gt(0)
      .lt(1)
      .default(0.95)
      .describe("stop once the leading answer's posterior reaches this"),
    collision: z.coerce
      .number()
      .gt(0)
      .lt(1)
      .default(0.3)
      .describe("chance that a wrong sample gives one particular wrong answer (how clustered errors are)"),
    window: z.coerce
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(8)
      .describe("tokens of the least likely stretch that gives a sample's reliability"),
  }),
  create: (p, spec) => confidenceGuidedStopping(p, spec),
});

strategies.define({
  name: "esc",
  aliases: ["early-stopping-sc"],
  description: "self-consistency in windows, stopping at the first unanimous window",
  params: z.object({
    n: samplesParam(40, "most samples drawn"),
    ...samplingParams,
    window: z.coerce
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(5)
      .describe("samples per window; sampling stops after the first unanimous window"),
  }),
  create: (p, spec) => earlyStoppingConsistency(p, spec),
});

strategies.define({
  name: "first-finish",
  aliases: ["ffs"],
  description: "start n samples, keep the first k to finish, cancel the rest",
  params: z.object({
    n: samplesParam(8, "samples started"),
    ...samplingParams,
    k: z.coerce
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(1)
      .describe("samples kept: the first k to finish; the rest are cancelled"),
    select: z
      .enum(["vote", "shortest"])
      .default("vote")
      .describe("vote: majority of the k; shortest: the first to finish"),
  }),
  create: (p, spec) => firstFinish(p, spec),
});

strategies.define({
  name: "early-reject",
  description: "best-of-n step by step, stopping a partial solution once its PRM score cannot win",
  params: z.object({
    n: samplesParam(16, "candidates"),
    ...samplingParams,
    wave: z.coerce.number().int().min(1).max(4096).default(4).describe("candidates started together"),
    floor: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe("stop a partial candidate scoring below this (0 is off)"),
    accept: z.coerce
      .number()
      .min(0)
      .default(0.9)
      .describe("start no new wave once a complete candidate scores this (> 1 is off)"),
    stepTokens: z.coerce.number().int().min(1).max(100_000).default(64).describe("most tokens of one step"),
  }),
  create: (p, spec) => earlyReject(p, spec),
});

strategies.define({
  name: "speculative-rejection",
  description: "best-of-n that stops the worst fraction of partial generations after a token prefix",
  params: z.object({
    n: samplesParam(16, "candidates"),
    ...samplingParams,
    tokens: z.coerce.number().int().min(1).default(16).describe("tokens generated before each rejection"),
    reject: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.75)
      .describe("share of the unfinished candidates stopped at each rejection"),
    rounds: z.coerce.number().int().min(1).max(64).default(1).describe("rejections, every `tokens` tokens"),
  }),
  create: (p, spec) => speculativeRejection(p, spec),
});

strategies.define({
  name: "mbr",
  description: "sample n solutions, return the one most similar to the others (minimum Bayes risk)",
  params: z.object({
    n: samplesParam(16),
    ...samplingParams,
    similarity: z
      .enum(["answer", "lines", "words", "edit"])
      .default("answer")
      .describe("how two solutions are compared: same answer, shared lines, shared words, edit distance"),
  }),
  create: (p, spec) => mbr(p, spec),
});

/** Splits a judge strategy's parameters into its sampling part and its layer part. */
function samplingPart<P extends { n: number; temperature: number; topP: number; topK: number }>(
  p: P & { maxTokens?: number },
): Strategy {
  const { n, temperature, topP, topK, maxTokens } = p;
  return sample({ n, temperature, topP, topK, ...(maxTokens !== undefined ? { maxTokens } : {}) }, "sample");
}

strategies.define({
  name: "rank",
  description: "sample n solutions, a judge model ranks them; the top one answers",
  params: z.object({ n: samplesParam(8), ...samplingParams, ...rankParams }),
  create: (p, spec) => sampleThen(samplingPart(p), makeRank(p, "rank"), spec),
});

strategies.define({
  name: "fuse",
  description: "sample n solutions, a judge model fuses them into one",
  params: z.object({ n: samplesParam(4), ...samplingParams, ...judgeParams }),
  create: (p, spec) => sampleThen(samplingPart(p), makeFuse(p, "fuse"), spec),
});

strategies.define({
  name: "critique",
  description: "sample n solutions, a judge model critiques and revises them; majority over revisions",
  params: z.object({ n: samplesParam(4), ...samplingParams, ...critiqueParams }),
  create: (p, spec) => sampleThen(samplingPart(p), makeCritique(p, "critique"), spec),
});

strategies.define({
  name: "auto",
  description:
    "compute-optimal allocation: a warm-up estimates difficulty, a policy fitted by `deliberate tune` picks the strategy",
  positional: "policy",
  params: z.object({
    policy: z.string().min(1).describe("path of the policy JSON file that `deliberate tune` wrote"),
  }),
  create: (p, spec) => autoStrategy(readPolicy(p.policy), createStrategy, spec),
});

defineSearchStrategies(strategies);

/**
 * Parses a strategy spec into a configured strategy: one spec such as `sc:n=16`, or a pipeline of
 * stages separated by `|` such as `sample:n=8 | rank:k=3 | fuse`, whose first stage is a strategy and
 * whose later stages are layers (see `layers.ts`).
 */
export function createStrategy(spec: string): Strategy {
  if (!isPipeline(spec)) return strategies.create(spec);
  const [first, ...rest] = splitPipeline(spec);
  return pipelineStrategy(
    strategies.create(first!),
    rest.map((stage) => layers.create(stage)),
  );
}
