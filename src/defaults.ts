import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ModelLoadError } from "./core/errors.js";

/** The package root (this file is one level below it, in src/ or dist/). */
export const packageRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * The embedded default models: the project's own tiny policy and process reward models for the
 * synthetic arithmetic task, shipped with the package so that everything runs offline. `prm` is a
 * discriminative (Math-Shepherd style) PRM; `genprm` a generative one, read through the likelihood
 * of each step's tokens.
 */
export const embeddedModels = {
  policy: fileURLToPath(new URL("../models/arith-policy.gguf", import.meta.url)),
  prm: fileURLToPath(new URL("../models/arith-prm.gguf", import.meta.url)),
  genprm: fileURLToPath(new URL("../models/arith-genprm.gguf", import.meta.url)),
} as const;

/**
 * The scorer that strategies needing one use when the model is the embedded default and no scorer is
 * given: the generative PRM, which tells a right step from a wrong one after the same prefix 98.5% of
 * the time on held-out problems, against 60.5% for the discriminative `prm` (models/arith-genprm.md).
 */
export const embeddedScorerSpec = "genprm";

/**
 * `deliberate run`'s strategy on the embedded model when none is given: best-of-16 under the
 * generative PRM. It is the strongest fixed strategy measured on the embedded model at its cost
 * (docs/strategies.md: 60–80% against 40–53% for self-consistency at levels 5–6). On the README's
 * example, 57+38-19+44, greedy answers 110 for every seed and sc:n=16 gets 120 on 1 of seeds 0–9,
 * best-of-16 on 9 of them (seed 0, the default, included). With any other model the default stays
 * self-consistency, which needs no scorer.
 */
export const embeddedStrategySpec = "bon:n=16";

/**
 * Path of an embedded model, resolved inside the installed package (not the working directory), or
 * a {@link ModelLoadError} when the package's models/ folder lacks it.
 */
export function embeddedModelPath(which: keyof typeof embeddedModels): string {
  const file = embeddedModels[which];
  if (!existsSync(file)) {
    throw new ModelLoadError(`the embedded default ${which} model is missing (${file})`, {
      hint: "the package's models/ folder is incomplete: reinstall deliberate, or load a model by its path",
    });
  }
  return file;
}
