/** The coverage power law fitted to coverage@k: exact, noisy and saturated data. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import { fitCoveragePowerLaw, predictCoverage } from "../../src/eval/metrics/index.js";
import { close } from "./metrics-reference.js";

describe("fitCoveragePowerLaw", () => {
  const ks = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

  it("recovers a and b from exact synthetic data", () => {
    for (const [a, b] of [
      [-2, -0.5],
      [-0.7, -0.3],
      [-4, -0.9],
    ] as const) {
      const cov = ks.map((k) => Math.exp(a * k ** b));
      const fit = fitCoveragePowerLaw(ks, cov);
      close(fit.a, a, 1e-9, "a");
      close(fit.b, b, 1e-9, "b");
      close(fit.r2, 1, 1e-12, "r2");
      close(predictCoverage(fit, 100), Math.exp(a * 100 ** b), 1e-9, "predict");
    }
  });

  it("recovers them approximately from noisy data", () => {
    const rng = new Rng(5);
    const cov = ks.map((k) => Math.exp(-2 * k ** -0.5 * (1 + 0.02 * (rng.next() - 0.5))));
    const fit = fitCoveragePowerLaw(ks, cov);
    close(fit.a, -2, 0.05, "a");
    close(fit.b, -0.5, 0.02, "b");
    assert.ok(fit.r2 > 0.99);
  });

  it("leaves out saturated points and rejects too few", () => {
    const cov = ks.map((k) => Math.exp(-2 * k ** -0.5));
    const fit = fitCoveragePowerLaw([...ks, 2048, 4096], [...cov, 1, 0]);
    assert.equal(fit.points, ks.length);
    close(fit.b, -0.5, 1e-9, "b");
    assert.throws(() => fitCoveragePowerLaw([1, 2], [0.5, 1]), ConfigError);
    assert.throws(() => fitCoveragePowerLaw([4, 4], [0.5, 0.6]), ConfigError);
    assert.throws(() => fitCoveragePowerLaw([1, 2], [0.5]), ConfigError);
  });
});
