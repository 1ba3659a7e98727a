import { z } from "zod";
import type { Registry } from "../../core/spec.js";
import type { Strategy } from "../../core/strategy.js";
import { beamSearch } from "./beam.js";
import { diverseBeamSearch } from "./diverse-beam.js";
import { dvts } from "./dvts.js";
import { searchParams, searchStrategy } from "./search.js";

const beams = (fallback: number) => z.coerce.number().int().min(1).max(4096).default(fallback);

/** Registers the step-level search strategies (all need a step scorer, e.g. `--scorer prm`). */
export function defineSearchStrategies(strategies: Registry<Strategy>): void {
  strategies.define({
    name: "beam",
    aliases: ["beam-search"],
    description: "step-level beam search under a PRM: N beams, N/M survivors each expand M",
    params: z.object({
      ...searchParams,
      n: beams(16),
      m: beams(4),
      lookahead: z.coerce.number().int().min(0).max(64).default(0),
    }),
    create: (p, spec) => searchStrategy("beam", p, spec, beamSearch),
  });

  strategies.define({
    name: "dvts",
    description: "diverse verifier tree search: N/M independent subtrees, greedy by PRM within each",
    params: z.object({ ...searchParams, n: beams(16), m: beams(4) }),
    create: (p, spec) => searchStrategy("dvts", p, spec, dvts),
  });

  strategies.define({
    name: "diverse-beam",
    description: "step-level diverse beam search: groups select in turn, penalized for repeating steps",
    params: z.object({
      ...searchParams,
      n: beams(16),
      m: beams(4),
      groups: beams(4),
      penalty: z.coerce.number().min(0).default(0.5),
    }),
    create: (p, spec) => searchStrategy("diverse-beam", p, spec, diverseBeamSearch),
  });
}
