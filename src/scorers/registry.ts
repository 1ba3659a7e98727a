import { z } from "zod";
import { LlamaCppModel } from "../backends/llama-cpp/index.js";
import { OpenAICompatibleModel } from "../backends/openai-compatible/index.js";
import { ConfigError } from "../core/errors.js";
import type { Scorer } from "../core/scorer.js";
import { Registry } from "../core/spec.js";
import { embeddedModelPath } from "../defaults.js";
import { StepLikelihoodScorer } from "./confidence/step-likelihood.js";
import { LogprobPrm } from "./reward/logprob-prm.js";
import { PoolingPrm } from "./reward/pooling-prm.js";
import { ArithVerifierScorer } from "./verifiers/arith-verifier.js";

/** A configured scorer that still has to be opened (loading a model, connecting to a server). */
export interface ScorerFactory {
  spec: string;
  open(): Promise<Scorer>;
}

/**
 * Every scorer kind by spec name, e.g. `prm` (the embedded PRM), `prm:models/x.gguf,aggregation=last`,
 * `prm:http://127.0.0.1:8000/v1,model=NAME`. The CLI and the server use this same table.
 */
export const scorers = new Registry<ScorerFactory>("scorer");

/**
 * The model a logprob-based scorer reads: a server URL (with `model=NAME`, prompt logprobs on) or a
 * GGUF file / `hf:` URI loaded on the embedded backend.
 */
async function openScoringModel(
  source: string,
  name: string | undefined,
  what: string,
): Promise<LlamaCppModel | OpenAICompatibleModel> {
  if (/^https?:\/\//.test(source) && !source.endsWith(".gguf")) {
    if (!name) throw new ConfigError(`${what} behind a server needs model=NAME in the scorer spec`);
    return new OpenAICompatibleModel({ baseUrl: source, model: name, promptLogprobs: true });
  }
  return LlamaCppModel.load({ model: source, parallel: 16 });
}

/** Where a scorer's model comes from; `fallback` names the model used when none is given. */
const sourceParam = (fallback: string) =>
  z.string().optional().describe(`a GGUF path, an hf: URI or a server URL (default: ${fallback})`);
const serverModelParam = z.string().optional().describe("the model name on the server, when source is a URL");
const aggregationParam = z
  .enum(["last", "min", "product", "mean"])
  .default("min")
  .describe("how step scores make a solution's score");

scorers.define({
  name: "prm",
  description:
    "logprob process reward model: a GGUF path, an hf: URI or a server URL (default: the embedded PRM)",
  positional: "source",
  params: z.object({
    source: sourceParam("the embedded PRM"),
    model: serverModelParam,
    aggregation: aggregationParam,
    stepTag: z
      .string()
      .min(1)
      .default("#")
      .describe("the tag after each step where the PRM gives its verdict"),
    good: z.string().min(1).default("+").describe("the token that means a right step"),
    bad: z.string().min(1).default("-").describe("the token that means a wrong step"),
    api: z
      .enum(["logprobs", "pooling"])
      .default("logprobs")
      .describe(
        "logprobs: read the good/bad token odds; pooling: vLLM's pooling API (Qwen2.5-Math-PRM style)",
      ),
    separator: z
      .string()
      .min(1)
      .default("<extra_0>")
      .describe("with api=pooling: the step separator the PRM scores"),
  }),
  create: (p, spec) => ({
    spec,
    async open() {
      if (p.api === "pooling") {
        if (!p.source || !/^https?:\/\//.test(p.source) || !p.model) {
          throw new ConfigError("prm:api=pooling needs a server URL and model=NAME", {
            hint: "e.g. prm:http://127.0.0.1:8000/v1,model=Qwen/Qwen2.5-Math-PRM-7B,api=pooling",
          });
        }
        const prm = new PoolingPrm({
          baseUrl: p.source,
          model: p.model,
          aggregation: p.aggregation,
          stepSeparator: p.separator,
        });
        return { id: prm.id, score: prm.score.bind(prm) };
      }
      const model = await openScoringModel(p.source ?? embeddedModelPath("prm"), p.model, "a PRM");
      const prm = new LogprobPrm({
        model,
        aggregation: p.aggregation,
        stepTag: p.stepTag,
        goodToken: p.good,
        badToken: p.bad,
      });
      return { id: prm.id, score: prm.score.bind(prm), close: () => model.close() };
    },
  }),
});

scorers.define({
  name: "verifier",
  description: "an exact programmatic verifier as a scorer (oracle): verifier:arith",
  positional: "task",
  params: z.object({
    task: z.enum(["arith"]).describe("the task whose exact verifier scores the steps"),
    aggregation: aggregationParam,
  }),
  create: (p, spec) => ({ spec, open: async () => new ArithVerifierScorer(p.aggregation) }),
});

const likelihoodParams = (defaultSource: string) =>
  z.object({
    source: sourceParam(defaultSource),
    model: serverModelParam,
    reduce: z
      .enum(["min", "mean"])
      .default("min")
      .describe("how a step's token probabilities make its score"),
    aggregation: aggregationParam,
  });

/** A step-likelihood scorer named `name` over the model at `source`. */
function likelihoodScorer(
  name: string,
  source: string,
  p: z.infer<ReturnType<typeof likelihoodParams>>,
  what: string,
  cumulative: boolean,
): Promise<Scorer> {
  return openScoringModel(source, p.model, what).then((model) => {
    const scorer = new StepLikelihoodScorer({
      model,
      name,
      reduce: p.reduce,
      aggregation: p.aggregation,
      cumulative,
    });
    return { id: scorer.id, score: scorer.score.bind(scorer), close: () => model.close() };
  });
}

scorers.define({
  name: "likelihood",
  description:
    "verifier-free step scores: how likely a model (default: the embedded policy) finds each step's tokens",
  positional: "source",
  params: likelihoodParams("the embedded policy"),
  create: (p, spec) => ({
    spec,
    open: () =>
      likelihoodScorer(
        "likelihood",
        p.source ?? embeddedModelPath("policy"),
        p,
        "a likelihood scorer",
        false,
      ),
  }),
});

scorers.define({
  name: "genprm",
  description:
    "generative process reward model: a step scores the lowest probability a model trained on correct " +
    "solutions gives any token of it or of an earlier step (default: the embedded generative PRM)",
  positional: "source",
  params: likelihoodParams("the embedded generative PRM"),
  create: (p, spec) => ({
    spec,
    open: () =>
      likelihoodScorer("genprm", p.source ?? embeddedModelPath("genprm"), p, "a generative PRM", true),
  }),
});
