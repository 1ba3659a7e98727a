/** Evaluation metrics: pass@k, voting/selection at k, bootstrap CIs, scaling-law fits and cost. */
export { type BootstrapOptions, bootstrapCI, type ConfidenceInterval, mean } from "./bootstrap.js";
export {
  type CostOptions,
  type InferenceCost,
  type ModelShape,
  problemCost,
  type SequenceShape,
  sequenceCost,
  validateModelShape,
} from "./flops.js";
export { type CoveragePoint, coverageCurve, passAtK, type SampleCounts } from "./pass-at-k.js";
export { type CoveragePowerLaw, fitCoveragePowerLaw, predictCoverage } from "./power-law.js";
export {
  type AtKEstimate,
  bestOfNAtK,
  type EstimateMethod,
  majorityAtK,
  type VotingOptions,
  weightedMajorityAtK,
} from "./voting.js";
