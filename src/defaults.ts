import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ModelLoadError } from "./core/errors.js";

/** The package root (this file is one level below it, in src/ or dist/). */
export const packageRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * The embedded default models: the project's own tiny policy and process reward model for the
 * synthetic arithmetic task, shipped with the package so that everything runs offline.
 */
export const embeddedModels = {
  policy: fileURLToPath(new URL("../models/arith-policy.gguf", import.meta.url)),
  prm: fileURLToPath(new URL("../models/arith-prm.gguf", import.meta.url)),
} as const;

/** Path of an embedded model, or a {@link ModelLoadError} that says what to pass instead. */
export function embeddedModelPath(which: keyof typeof embeddedModels): string {
  const file = embeddedModels[which];
  if (!existsSync(file)) {
    throw new ModelLoadError(`the embedded default ${which} model is missing (${file})`, {
      hint: "pass --model PATH_OR_HF_URI, or --base-url URL --model NAME",
    });
  }
  return file;
}
