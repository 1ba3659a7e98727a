/** The model of a `deliberate eval` run: opened to fit the run's prompts, and its recorded shape. */
import { LlamaCppModel } from "../backends/llama-cpp/index.js";
import type { LanguageModel } from "../core/model.js";
import { embeddedModelPath } from "../defaults.js";
import type { EvalProblem } from "../eval/datasets/index.js";
import type { ModelShape } from "../eval/metrics/flops.js";
import { readGgufModelShape } from "../eval/model-shape.js";
import { type EvalConfig, modelPrompt } from "../eval/runner.js";
import type { RunStore } from "../eval/store.js";
import type { EvalFlags } from "./eval-config.js";
import { openModel } from "./open-model.js";

/**
 * Opens the run's model. An embedded (GGUF) model gets a context that fits the longest prompt plus
 * `--max-tokens`, unless `--context-size` says otherwise, so that no problem fails for lack of room
 * and results do not depend on the model's default context.
 */
export async function openEvalModel(
  config: EvalConfig,
  flags: EvalFlags,
  problems: readonly EvalProblem[],
): Promise<LanguageModel> {
  if (config.model.source === "server") {
    const apiKey = flags.apiKey ?? process.env.OPENAI_API_KEY;
    const { model } = await openModel({
      baseUrl: config.model.baseUrl!,
      ...(config.model.model ? { model: config.model.model } : {}),
      ...(flags.parallel ? { parallel: flags.parallel } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    return model;
  }
  const path = config.model.model ?? embeddedModelPath("policy");
  const options = { model: path, ...(flags.parallel ? { parallel: flags.parallel } : {}) };
  if (flags.contextSize) return LlamaCppModel.load({ ...options, contextSize: flags.contextSize });
  const model = await LlamaCppModel.load(options);
  let longest = 0;
  for (const p of problems) {
    const prompt = modelPrompt(p, model.capabilities.chat, config.raw);
    longest = Math.max(longest, model.encodePrompt(prompt).length);
  }
  const needed = longest + config.maxTokens;
  if (needed <= model.contextSize) return model;
  const contextSize = Math.ceil(needed / 256) * 256;
  process.stderr.write(
    `context raised from ${model.contextSize} to ${contextSize} tokens: the longest prompt has ${longest} ` +
      `tokens, plus --max-tokens ${config.maxTokens} (set it with --context-size)\n`,
  );
  await model.close();
  return LlamaCppModel.load({ ...options, contextSize });
}

/**
 * Records the model shape of the run's cost figures: `--model-shape` when given (it replaces a stored
 * one), else, when the run has none yet, the GGUF metadata of an embedded model. A server's model has
 * no shape unless given: its FLOPs are then null, and stderr says so.
 */
export async function recordModelShape(
  store: RunStore,
  model: LanguageModel,
  given: ModelShape | undefined,
): Promise<void> {
  if (given) {
    store.setModelShape({ ...given, source: "user" });
    return;
  }
  if (store.modelShape()) return;
  const shape = model instanceof LlamaCppModel ? await readGgufModelShape(model.file) : null;
  if (shape) store.setModelShape({ ...shape, source: "gguf" });
  else {
    process.stderr.write(
      `the model's shape is unknown: FLOPs and eFLOPs are not reported (give it with --model-shape ` +
        `params=…,layers=…,dModel=…,kvDim=…,bytesPerParam=…)\n`,
    );
  }
}
