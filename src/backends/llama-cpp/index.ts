export { LlamaCppModel, type LlamaCppOptions } from "./llama-cpp-model.js";
