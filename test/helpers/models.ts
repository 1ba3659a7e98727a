import { after, before } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { embeddedModels } from "../../src/defaults.js";

/** The arithmetic prompt most backend tests use; its greedy path has a clear margin. */
export const ARITH_PROMPT = "Q:57+38-19+44\n";

/** Loads the project's own tiny policy model through the embedded backend. */
export function loadPolicy(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.policy, parallel, gpu: false });
}

/**
 * Loads the policy before the enclosing suite's tests and closes it after them (call it inside a
 * `describe`); the getter returns the loaded model.
 */
export function usePolicy(parallel = 8): () => LlamaCppModel {
  let model: LlamaCppModel | undefined;
  before(async () => {
    model = await loadPolicy(parallel);
  });
  after(async () => {
    await model?.close();
  });
  return () => {
    if (!model) throw new Error("the policy is loaded in the suite's before hook; call the getter in a test");
    return model;
  };
}

/** Loads the project's own tiny process reward model. */
export function loadPrm(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.prm, parallel, gpu: false });
}

/** Loads the project's own tiny generative process reward model. */
export function loadGenPrm(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.genprm, parallel, gpu: false });
}
