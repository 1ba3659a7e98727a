/**
 * The allocation frontier of a report: every fixed strategy of the run (from its pool and its stored
 * results) beside allocation policies (`deliberate tune`) applied to the same problems, and the oracle
 * policy as the ceiling — accuracy against mean generated tokens per problem.
 */
import { basename } from "node:path";
import { type FrontierPoint, fixedFrontier, policyPoint } from "../../allocation/frontier.js";
import { checkFingerprint, readPolicy } from "../../allocation/policy.js";
import { runEquivalence } from "../../allocation/runs.js";
import { loadRun, tuneLoaded } from "../../allocation/tune.js";
import { ConfigError } from "../../core/errors.js";

/** The frontier section of report.json. */
export interface AllocationFrontier {
  /** The policy files shown, with what they were fitted for. */
  policies: { file: string; estimator: string; warmup: number; budgetTokens: number }[];
  /** Fixed strategies (`kind: "fixed"`), the policies (`policy`) and the oracle ceiling (`oracle`). */
  points: FrontierPoint[];
  problems: number;
}

/**
 * Builds the frontier of the run in `dir` for the given policy files.
 *
 * @throws PolicyMismatchError for a policy of another model or task; ConfigError for a run without
 *   a pool or a policy whose choices the run cannot compute.
 */
export function buildFrontier(
  dir: string,
  policyFiles: readonly string[],
  resamples = 1000,
): AllocationFrontier {
  const run = loadRun(dir);
  if (run.config.samples === 0) {
    throw new ConfigError("the allocation frontier needs a run with a sample pool", {
      hint: "evaluate with --samples N (at least the policy's warm-up)",
    });
  }
  const same = runEquivalence(run.config);
  const options = { resamples };
  const points: FrontierPoint[] = fixedFrontier(run.problems, run.config, same, options);
  const policies: AllocationFrontier["policies"] = [];
  for (const file of policyFiles) {
    const policy = readPolicy(file);
    checkFingerprint(policy, run.fingerprint, `policy ${file}`);
    const name = `${policy.estimator === "oracle" ? "oracle" : "auto"} · ${basename(file)}`;
    const { point } = policyPoint(policy, run.problems, same, name, options);
    points.push(point);
    policies.push({
      file,
      estimator: policy.estimator,
      warmup: policy.warmup.samples,
      budgetTokens: policy.budgetTokens,
    });
    if (policy.estimator !== "oracle") {
      // The ceiling at this policy's tokens: difficulty = the true solve rate on these very problems.
      try {
        const oracle = tuneLoaded([run], {
          budgetTokens: point.tokens,
          estimator: "oracle",
          warmup: policy.warmup.samples,
          maxBins: run.config.samples + 1,
        });
        points.push(
          policyPoint(oracle, run.problems, same, `oracle ceiling · ${basename(file)}`, options).point,
        );
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
      }
    }
  }
  return { policies, points, problems: run.problems.length };
}
