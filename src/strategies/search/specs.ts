import { z } from "zod";
import type { Registry } from "../../core/spec.js";
import type { Strategy } from "../../core/strategy.js";
import { aStar } from "./a-star.js";
import { beamSearch } from "./beam.js";
import { diverseBeamSearch } from "./diverse-beam.js";
import { dvts } from "./dvts.js";
import { mcts } from "./mcts.js";
import { particleFilter } from "./particle-filter.js";
import { particleGibbs } from "./particle-gibbs.js";
import { rebase } from "./rebase.js";
import { searchParams, searchStrategy } from "./search.js";

const beams = (fallback: number, description: string) =>
  z.coerce.number().int().min(1).max(4096).default(fallback).describe(description);

/** How particle filtering and particle Gibbs weight and resample their particles. */
const particleWeighting = {
  weights: z
    .enum(["logit", "score"])
    .default("logit")
    .describe(
      "particle weights are the softmax of the scores' log-odds ln(p/(1-p)) or of the raw scores, over weightTemperature",
    ),
  weightTemperature: z.coerce
    .number()
    .positive()
    .default(1)
    .describe("temperature of the particle weight softmax"),
  resampling: z
    .enum(["multinomial", "systematic"])
    .default("systematic")
    .describe("how particles are drawn from their weights"),
};

/** Registers the step-level search strategies (all need a step scorer, e.g. `--scorer prm`). */
export function defineSearchStrategies(strategies: Registry<Strategy>): void {
  strategies.define({
    name: "beam",
    aliases: ["beam-search"],
    description: "step-level beam search under a PRM: N beams, N/M survivors each expand M",
    params: z.object({
      ...searchParams,
      n: beams(16, "beams (N)"),
      m: beams(4, "next steps per kept beam (M); N/M beams are kept each round"),
      lookahead: z.coerce
        .number()
        .int()
        .min(0)
        .max(64)
        .default(0)
        .describe("greedy steps rolled out before a new step is scored"),
    }),
    create: (p, spec) => searchStrategy("beam", p, spec, beamSearch),
  });

  strategies.define({
    name: "dvts",
    description: "diverse verifier tree search: N/M independent subtrees, greedy by PRM within each",
    params: z.object({
      ...searchParams,
      n: beams(16, "beams (N)"),
      m: beams(4, "beams per subtree (M): N/M independent subtrees"),
    }),
    create: (p, spec) => searchStrategy("dvts", p, spec, dvts),
  });

  strategies.define({
    name: "diverse-beam",
    description: "step-level diverse beam search: groups select in turn, penalized for repeating steps",
    params: z.object({
      ...searchParams,
      n: beams(16, "beams (N)"),
      m: beams(4, "next steps per kept beam (M)"),
      groups: beams(4, "groups that select in turn"),
      penalty: z.coerce
        .number()
        .min(0)
        .default(0.5)
        .describe("score lost per earlier group that kept the same step"),
    }),
    create: (p, spec) => searchStrategy("diverse-beam", p, spec, diverseBeamSearch),
  });

  strategies.define({
    name: "particle-filter",
    aliases: ["pf"],
    description:
      "particle filtering: N particles extended step by step, resampled by weights from their PRM scores",
    params: z.object({
      ...searchParams,
      n: beams(16, "particles"),
      ...particleWeighting,
    }),
    create: (p, spec) => searchStrategy("particle-filter", p, spec, particleFilter),
  });

  strategies.define({
    name: "particle-gibbs",
    aliases: ["pg"],
    description:
      "particle Gibbs: particle filtering sweeps, each conditioned on a reference particle of the last",
    params: z.object({
      ...searchParams,
      n: z.coerce.number().int().min(2).max(4096).default(16).describe("particles per sweep"),
      ...particleWeighting,
      sweeps: z.coerce.number().int().min(1).max(64).default(2).describe("particle filtering sweeps"),
      pool: z
        .enum(["all", "last"])
        .default("all")
        .describe("the final particles that vote: of every sweep, or of the last"),
    }),
    create: (p, spec) => searchStrategy("particle-gibbs", p, spec, particleGibbs),
  });

  strategies.define({
    name: "mcts",
    description: "Monte Carlo tree search over steps, PRM as value: PUCT/UCT selection, k-way expansion",
    params: z.object({
      ...searchParams,
      iterations: z.coerce
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(16)
        .describe("select-expand-evaluate-backup iterations"),
      c: z.coerce.number().min(0).default(1).describe("exploration constant of the selection rule"),
      children: beams(4, "next steps per expansion"),
      rule: z.enum(["puct", "uct"]).default("puct").describe("the selection rule"),
      rollout: z.coerce
        .number()
        .int()
        .min(0)
        .max(1)
        .default(0)
        .describe("1: roll each new child out greedily to the end before scoring it"),
      choose: z
        .enum(["visits", "value"])
        .default("visits")
        .describe("the final path follows the most visited or the best valued child"),
      batch: z.coerce
        .number()
        .int()
        .min(1)
        .max(4096)
        .default(1)
        .describe("paths selected per round, with virtual loss"),
    }),
    create: (p, spec) => searchStrategy("mcts", p, spec, mcts),
  });

  strategies.define({
    name: "rebase",
    aliases: ["reward-balanced"],
    description: "reward-balanced search: width W shared among open nodes by softmax of their PRM scores",
    params: z.object({
      ...searchParams,
      n: beams(16, "width: children shared among the open nodes at each depth"),
      balanceTemperature: z.coerce
        .number()
        .positive()
        .default(0.1)
        .describe("children are shared by softmax(score / balanceTemperature)"),
    }),
    create: (p, spec) => searchStrategy("rebase", p, spec, rebase),
  });

  strategies.define({
    name: "a-star",
    aliases: ["astar"],
    description: "A*-decoding: best-first over partial solutions by PRM score, stops at the first goal",
    params: z.object({
      ...searchParams,
      children: beams(4, "next steps per expansion"),
      expansions: z.coerce.number().int().min(1).max(100_000).default(16).describe("most expansions"),
      goal: z.coerce
        .number()
        .default(0.5)
        .describe("a complete solution scoring at least this is the answer and ends the search"),
      costWeight: z.coerce.number().min(0).default(0).describe("priority is score − costWeight · depth"),
    }),
    create: (p, spec) => searchStrategy("a-star", p, spec, aStar),
  });
}
