import { z } from "zod";
import { Registry } from "../core/spec.js";
import { bestLayer } from "./best-of-n.js";
import { critiqueLayer } from "./critique.js";
import { fuseLayer } from "./fuse.js";
import {
  CRITIQUE_TEMPLATE,
  FUSE_TEMPLATE,
  judgeParams,
  loadTemplate,
  PAIRWISE_TEMPLATE,
  RANK_TEMPLATE,
} from "./judge.js";
import { mbrLayer } from "./mbr.js";
import type { Layer } from "./pipeline.js";
import { rankLayer } from "./rank.js";
import { voteLayer } from "./self-consistency.js";
import { weightedVoteLayer } from "./weighted-vote.js";

/**
 * Every pipeline layer by spec name: the stages after the first of `sample:n=8 | rank:k=3 | fuse`.
 * Layers take the previous stage's candidates instead of sampling, so they have no `n` or sampling
 * parameters.
 */
export const layers = new Registry<Layer>("layer");

/** Parameters of the ranker (its layer and its strategy). */
export const rankParams = {
  k: z.coerce.number().int().min(1).max(4096).default(3).describe("candidates passed on: the judge's top k"),
  mode: z
    .enum(["listwise", "pairwise"])
    .default("listwise")
    .describe("listwise: one ranking of all; pairwise: every pair judged once"),
  fallback: z
    .enum(["vote", "order"])
    .default("vote")
    .describe("order when the judge's reply cannot be read: by answer votes, or as given"),
  ...judgeParams,
};

/** Parameters of the critic (its layer and its strategy). */
export const critiqueParams = {
  k: z.coerce.number().int().min(1).max(4096).default(4).describe("candidates critiqued: the first k"),
  marker: z
    .string()
    .min(1)
    .default("Revised solution:")
    .describe("the line after which the judge writes the revised solution"),
  ...judgeParams,
};

/** A rank layer from parsed parameters (the template file is read here). */
export function makeRank(p: z.infer<z.ZodObject<typeof rankParams>>, spec: string): Layer {
  const template =
    p.mode === "listwise"
      ? loadTemplate(p.template, RANK_TEMPLATE, ["candidates"])
      : loadTemplate(p.template, PAIRWISE_TEMPLATE, ["a", "b"]);
  return rankLayer({ ...p, template }, spec);
}

/** A fuse layer from parsed parameters. */
export function makeFuse(p: z.infer<z.ZodObject<typeof judgeParams>>, spec: string): Layer {
  return fuseLayer({ ...p, template: loadTemplate(p.template, FUSE_TEMPLATE, ["candidates"]) }, spec);
}

/** A critique layer from parsed parameters. */
export function makeCritique(p: z.infer<z.ZodObject<typeof critiqueParams>>, spec: string): Layer {
  return critiqueLayer({ ...p, template: loadTemplate(p.template, CRITIQUE_TEMPLATE, ["solution"]) }, spec);
}

layers.define({
  name: "rank",
  description: "a judge ranks the candidates (listwise or pairwise) and passes on the best k",
  params: z.object(rankParams),
  create: makeRank,
});

layers.define({
  name: "fuse",
  description: "a judge fuses the candidates into one new solution",
  params: z.object(judgeParams),
  create: makeFuse,
});

layers.define({
  name: "critique",
  description: "a judge critiques and revises each of the first k candidates",
  params: z.object(critiqueParams),
  create: makeCritique,
});

layers.define({
  name: "vote",
  aliases: ["sc", "self-consistency"],
  description: "majority vote; passes on the winning answer's first candidate",
  params: z.object({}),
  create: (_p, spec) => voteLayer(spec),
});

layers.define({
  name: "weighted-vote",
  description: "score-weighted majority vote (needs a scorer)",
  params: z.object({
    aggregate: z
      .enum(["sum", "max", "mean"])
      .default("sum")
      .describe("how an answer's candidate scores make its weight"),
  }),
  create: (p, spec) => weightedVoteLayer(p.aggregate, spec),
});

layers.define({
  name: "best-of-n",
  aliases: ["bon"],
  description: "the best-scored candidate (needs a scorer)",
  params: z.object({}),
  create: (_p, spec) => bestLayer(spec),
});

layers.define({
  name: "mbr",
  description: "minimum Bayes risk: the candidate most similar to the others",
  params: z.object({
    similarity: z
      .enum(["answer", "lines", "words", "edit"])
      .default("answer")
      .describe("how two solutions are compared: same answer, shared lines, shared words, edit distance"),
  }),
  create: (p, spec) => mbrLayer(p, spec),
});
