import type { StopReason } from "../../core/strategy.js";
import {
  multinomialResample,
  type ParticleSettings,
  particleResult,
  particleSweep,
  type Sweep,
} from "./particle-filter.js";
import type { SearchAlgorithm } from "./search.js";
import { pathOf } from "./tree.js";

/** Settings of {@link particleGibbs}. */
export interface ParticleGibbsSettings extends ParticleSettings {
  /** Particle filtering sweeps; the first is unconditioned. */
  sweeps: number;
  /** Whose final particles the answer is chosen from: every sweep's, or the last sweep's. */
  pool: "all" | "last";
}

/**
 * Particle Gibbs (Puri et al. 2025, after Andrieu et al. 2010's conditional SMC): several particle
 * filtering sweeps of N particles each, every sweep after the first conditioned on a reference
 * trajectory kept from the one before.
 *
 * - Sweep 1 is a plain particle filtering sweep ({@link particleSweep}).
 * - The reference for sweep k+1 is one of sweep k's final particles, drawn by their final weights
 *   (a partial one when sweep k ended at `maxSteps` with it unfinished).
 * - Sweep k+1 runs N−1 free particles from the root plus the reference: at round t the reference
 *   stands at step t of its path (its node from the earlier sweep, with its recorded PRM score; nothing
 *   is generated for it), is weighted with the others, can be drawn by free particles at resampling
 *   (their copies then continue it with new steps), and always survives. Once at the end of its path it
 *   is a finished particle. Its path nodes get `meta.reference` = k+1; new nodes `meta.sweep`.
 * - The answer (`select=weighted`) is the weighted vote over the distinct final particles of every
 *   sweep (`pool=all`), each sweep's weights counting 1/sweeps, or of the last sweep (`pool=last`).
 *   The reference's final node is a final particle of both sweeps it belongs to, and counts in both.
 * - A spent budget or an abort ends the run; the complete particles of the sweeps so far (the
 *   interrupted one included, unless it stopped before its first step) make the answer; `pool=last`
 *   then means the interrupted sweep.
 * - Cost: every sweep generates about as much as one particle filter of N particles (N−1 after the
 *   first), so `sweeps=2,n=8` spends about what `particle-filter:n=16` does.
 */
export const particleGibbs: SearchAlgorithm<ParticleGibbsSettings> = async (s, search) => {
  const sweeps: Sweep[] = [];
  let stopReason: StopReason = "completed";
  for (let k = 1; k <= s.sweeps && stopReason === "completed"; k++) {
    const previous = sweeps.at(-1);
    const reference = previous
      ? previous.particles[multinomialResample(previous.weights, 1, search.rng)[0]!]
      : undefined;
    if (reference) for (const node of pathOf(reference)) search.tree.note(node, { meta: { reference: k } });
    const sweep = await particleSweep(s, search, { sweep: k, ...(reference ? { reference } : {}) });
    stopReason = sweep.stopReason;
    // A sweep stopped before its first step has nothing to add.
    if (sweep.particles.some((node) => node !== search.tree.root)) sweeps.push(sweep);
  }
  return particleResult(s.pool === "all" ? sweeps : sweeps.slice(-1), stopReason);
};
