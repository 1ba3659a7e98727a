export { LlamaCppModel } from "./llama-cpp-model.js";
export type { LlamaCppOptions } from "./load.js";
