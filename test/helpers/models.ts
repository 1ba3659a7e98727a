import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { embeddedModels } from "../../src/defaults.js";

/** The arithmetic prompt most backend tests use; its greedy path has a clear margin. */
export const ARITH_PROMPT = "Q:57+38-19+44\n";

/** Loads the project's own tiny policy model through the embedded backend. */
export function loadPolicy(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.policy, parallel, gpu: false });
}

/** Loads the project's own tiny process reward model. */
export function loadPrm(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.prm, parallel, gpu: false });
}

/** Loads the project's own tiny generative process reward model. */
export function loadGenPrm(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.genprm, parallel, gpu: false });
}
