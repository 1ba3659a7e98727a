import { after, before } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { embeddedModels } from "../../src/defaults.js";
import "./plain-children.js";

/** The arithmetic prompt most backend tests use; its greedy path has a clear margin. */
export const ARITH_PROMPT = "Q:57+38-19+44\n";

/** Loads the project's own tiny policy model through the embedded backend. */
export function loadPolicy(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.policy, parallel, gpu: false });
}

/**
 * Opens a resource before the enclosing suite's tests and closes it after them (call it inside a
 * `describe`); the getter returns it.
 */
export function useResource<T>(open: () => Promise<T>, close: (resource: T) => Promise<void>): () => T {
  let resource: T | undefined;
  before(async () => {
    resource = await open();
  });
  after(async () => {
    if (resource !== undefined) await close(resource);
  });
  return () => {
    if (resource === undefined)
      throw new Error("opened in the suite's before hook; call the getter in a test");
    return resource;
  };
}

/** The embedded policy for the enclosing suite (see {@link useResource}). */
export function usePolicy(parallel = 8): () => LlamaCppModel {
  return useResource(
    () => loadPolicy(parallel),
    (model) => model.close(),
  );
}

/** Loads the project's own tiny process reward model. */
export function loadPrm(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.prm, parallel, gpu: false });
}

/** Loads the project's own tiny generative process reward model. */
export function loadGenPrm(parallel = 8): Promise<LlamaCppModel> {
  return LlamaCppModel.load({ model: embeddedModels.genprm, parallel, gpu: false });
}
