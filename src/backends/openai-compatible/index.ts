export { OpenAICompatibleModel, type OpenAICompatibleOptions } from "./openai-compatible-model.js";
