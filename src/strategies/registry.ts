import { z } from "zod";
import { Registry } from "../core/spec.js";
import type { Strategy } from "../core/strategy.js";
import { bestOfN } from "./best-of-n.js";
import { greedy } from "./greedy.js";
import { sample } from "./sample.js";
import { samplesParam, samplingParams } from "./sampling.js";
import { selfConsistency } from "./self-consistency.js";

/**
 * Every strategy by spec name. `strategies.create("sc:n=16,temperature=0.8")` returns a configured
 * {@link Strategy}; the CLI and the server use this same table.
 */
export const strategies = new Registry<Strategy>("strategy");

strategies.define({
  name: "greedy",
  description: "one solution at temperature 0",
  params: z.object({ maxTokens: samplingParams.maxTokens }),
  create: (p, spec) => greedy(p, spec),
});

strategies.define({
  name: "sample",
  description: "n independent samples, no selection (coverage, pass@k)",
  params: z.object({ n: samplesParam(8), ...samplingParams }),
  create: (p, spec) => sample(p, spec),
});

strategies.define({
  name: "self-consistency",
  aliases: ["sc"],
  description: "sample n solutions, majority vote over their answers",
  params: z.object({ n: samplesParam(16), ...samplingParams }),
  create: (p, spec) => selfConsistency(p, spec),
});

strategies.define({
  name: "best-of-n",
  aliases: ["bon"],
  description: "sample n solutions, return the one the scorer rates highest",
  params: z.object({ n: samplesParam(16), ...samplingParams }),
  create: (p, spec) => bestOfN(p, spec),
});

/** Parses a strategy spec such as `sc:n=16` into a configured strategy. */
export function createStrategy(spec: string): Strategy {
  return strategies.create(spec);
}
