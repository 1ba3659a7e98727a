import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  checkFingerprint,
  PolicyMismatchError,
  parsePolicy,
  readPolicy,
} from "../../src/allocation/policy.js";
import { tunePolicy } from "../../src/allocation/tune.js";
import { ConfigError } from "../../src/core/errors.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runCli } from "../helpers/cli.js";
import { handBuiltRun, scoredRun } from "./fixtures.js";

const sc = (n: number) => createStrategy(`sc:n=${n},temperature=0.8,topP=1,maxTokens=64`).spec;

describe("tune over stored runs", () => {
  const dir = handBuiltRun();

  test("finds the known optimum: stop after the agreeing warm-up, vote over 4 when it disagrees", () => {
    const policy = tunePolicy([dir], { budgetTokens: 30, warmup: 2 });
    assert.equal(policy.estimator, "agreement");
    assert.deepEqual(
      policy.bins.map((b) => [b.from, b.strategy]),
      [
        [null, sc(4)],
        [1, sc(2)],
      ],
    );
    assert.equal(policy.expected.accuracy, 1);
    assert.equal(
      policy.expected.tokens,
      30,
      "easy: 2 samples (20), hard: 4 samples reusing the warm-up (40)",
    );
    assert.deepEqual(policy.fingerprint.task, "arith");
    assert.equal(policy.fingerprint.model.id, "arith-policy.gguf");
    assert.match(policy.fingerprint.model.sha256 ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(policy.warmup, { samples: 2, temperature: 0.8, topP: 1, maxTokens: 64 });
  });

  test("the budget is respected: one token less gives up the hard problems", () => {
    const policy = tunePolicy([dir], { budgetTokens: 29, warmup: 2 });
    assert.ok(policy.expected.tokens <= 29);
    assert.equal(policy.expected.accuracy, 0.5);
    assert.equal(policy.expected.tokens, 20);
  });

  test("greedy after the warm-up costs the warm-up plus its own tokens", () => {
    // Budget 30 but with a 3-sample warm-up: greedy would cost 40, sc:n=3 30, sc:n=4 40.
    const policy = tunePolicy([dir], { budgetTokens: 35, warmup: 3 });
    assert.ok(policy.expected.tokens <= 35);
    assert.ok(policy.bins.every((b) => b.strategy !== "greedy"));
  });

  test("the oracle estimator bins by the true solve rate", () => {
    const policy = tunePolicy([dir], { budgetTokens: 30, warmup: 2, estimator: "oracle" });
    assert.deepEqual(
      policy.bins.map((b) => b.from),
      [null, 1],
    );
    assert.equal(policy.expected.accuracy, 1);
  });

  test("the score estimator needs scored samples", () => {
    assert.throws(
      () => tunePolicy([dir], { budgetTokens: 30, warmup: 2, estimator: "score" }),
      /needs a scorer/,
    );
  });

  test("runs of another task are refused with one clear error", () => {
    const other = handBuiltRun("gsm8k:test:6");
    assert.throws(
      () => tunePolicy([dir, other], { budgetTokens: 30, warmup: 2 }),
      (error: unknown) => {
        assert.ok(error instanceof PolicyMismatchError);
        assert.match(
          error.message,
          /is of model arith-policy\.gguf .* on task gsm8k, but .* is of .* on task arith/,
        );
        return true;
      },
    );
  });

  test("a policy file of another model or task is refused; its own model and task pass", () => {
    const policy = tunePolicy([dir], { budgetTokens: 30, warmup: 2 });
    checkFingerprint(policy, { model: policy.fingerprint.model, task: "arith" });
    assert.throws(
      () => checkFingerprint(policy, { model: { id: "qwen2.5-7b.gguf" } }),
      /fitted for model arith-policy\.gguf .* not for model qwen2\.5-7b\.gguf/,
    );
    assert.throws(
      () => checkFingerprint(policy, { model: { id: "arith-policy.gguf", sha256: "0".repeat(64) } }),
      PolicyMismatchError,
      "same file name, other weights",
    );
    assert.throws(() => checkFingerprint(policy, { task: "gsm8k" }), PolicyMismatchError);
  });

  test("policy files round-trip and malformed ones are refused", () => {
    const policy = tunePolicy([dir], { budgetTokens: 30, warmup: 2 });
    const file = join(dir, "policy.json");
    writeFileSync(file, JSON.stringify(policy));
    assert.deepEqual(readPolicy(file), policy);
    assert.throws(() => parsePolicy('{"format":"x"}'), ConfigError);
    assert.throws(() => parsePolicy("{"), /not JSON/);
  });

  test("deliberate tune writes the policy and prints the oracle ceiling", () => {
    const out = join(dir, "cli-policy.json");
    const result = runCli(["tune", dir, "--budget-tokens", "30", "--warmup", "2", "--out", out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /fitted: 100\.0% at 30\.0 tokens\/problem over 6 problems/);
    assert.match(result.stdout, /oracle ceiling .*not runnable/);
    assert.equal(readPolicy(out).bins.length, 2);
  });

  test("deliberate tune --estimator confidence scores the warm-up with the run's model", () => {
    const out = join(dir, "confidence-policy.json");
    const result = runCli([
      "tune",
      dir,
      "--budget-tokens",
      "40",
      "--warmup",
      "2",
      "--estimator",
      "confidence",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const policy = readPolicy(out);
    assert.equal(policy.estimator, "confidence");
    // Mean token log-probabilities of the stored texts: finite and at most 0.
    for (const bin of policy.bins.slice(1))
      assert.ok(bin.from! <= 0 && Number.isFinite(bin.from!), String(bin.from));
    assert.ok(policy.expected.tokens <= 40);
  });

  test("deliberate tune refuses runs of another task in one error line", () => {
    const other = handBuiltRun("gsm8k:test:6");
    const result = runCli(["tune", dir, other, "--budget-tokens", "30", "--warmup", "2"]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /^error: run .* is of model arith-policy\.gguf .* on task gsm8k, but/);
  });

  test("deliberate tune with lists of configurations chooses one by cross-validation and says why", () => {
    const scored = scoredRun();
    const out = join(scored, "selected.json");
    const result = runCli([
      "tune",
      scored,
      "--budget-tokens",
      "45",
      "--estimator",
      "score,predicted",
      "--warmup",
      "1",
      "--bins",
      "2,4",
      "--folds",
      "3",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /cross-validation over 3 folds/);
    assert.match(result.stdout, /\nscore\s+1\s+2\s+50\.0\s/);
    assert.match(result.stdout, /\npredicted\s+1\s+2\s+100\.0\s+45\.0 {2}← chosen/);
    assert.match(result.stdout, /predicted solve rate from agreement .* logTokens \(-/);
    const policy = readPolicy(out);
    assert.equal(policy.estimator, "predicted");
    assert.equal(policy.expected.accuracy, 1);
    const lengthOnly = runCli([
      "tune",
      scored,
      "--budget-tokens",
      "45",
      "--estimator",
      "predicted",
      "--warmup",
      "1",
      "--features",
      "logTokens",
      "--l2",
      "0.5",
    ]);
    assert.equal(lengthOnly.code, 0, lengthOnly.stderr);
    assert.match(lengthOnly.stdout, /predicted solve rate from logTokens \(-\d\.\d\d\)\n/);
    assert.match(lengthOnly.stdout, /fitted: 100\.0% at 45\.0 tokens\/problem/);
    const bad = runCli(["tune", scored, "--budget-tokens", "45", "--estimator", "score,guess"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"guess" is not one of agreement, score/);
  });
});
