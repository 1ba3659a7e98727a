import { LlamaCppModel } from "../backends/llama-cpp/index.js";
import type { Dialect } from "../backends/openai-compatible/dialect.js";
import { OpenAICompatibleModel } from "../backends/openai-compatible/index.js";
import type { LanguageModel } from "../core/model.js";
import { checkModelContract } from "../core/wrap.js";
import { embeddedModelPath } from "../defaults.js";

/** Model options shared by the commands that need a model. */
export interface ModelFlags {
  model?: string;
  /** One server or a fleet serving the same model (repeated --base-url). */
  baseUrl?: string | string[];
  apiKey?: string;
  parallel?: number;
  /** How the servers speak (default: detected from `GET /models`). */
  dialect?: Dialect | "auto";
}

/**
 * The model the flags name: a server, a GGUF path or hf: URI, or the embedded default. Its
 * `score`/`promptLogprobs` contract is checked ({@link checkModelContract}).
 */
export async function openModel(flags: ModelFlags): Promise<{ model: LanguageModel; embedded: boolean }> {
  const opened = await openNamedModel(flags);
  checkModelContract(opened.model);
  return opened;
}

async function openNamedModel(flags: ModelFlags): Promise<{ model: LanguageModel; embedded: boolean }> {
  if (flags.baseUrl && flags.baseUrl.length > 0) {
    const model = new OpenAICompatibleModel({
      baseUrl: flags.baseUrl,
      model: flags.model ?? "",
      ...(flags.apiKey ? { apiKey: flags.apiKey } : {}),
      ...(flags.parallel ? { concurrency: flags.parallel } : {}),
      ...(flags.dialect ? { dialect: flags.dialect } : {}),
    });
    return { model, embedded: false };
  }
  const path = flags.model ?? embeddedModelPath("policy");
  const model = await LlamaCppModel.load({
    model: path,
    ...(flags.parallel ? { parallel: flags.parallel } : {}),
  });
  return { model, embedded: flags.model === undefined };
}
