import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OpenAICompatibleModel } from "../../src/backends/openai-compatible/index.js";
import type { LanguageModel } from "../../src/core/model.js";
import type { Scorer } from "../../src/core/scorer.js";
import type { StrategyResult } from "../../src/core/strategy.js";
import { scorers } from "../../src/scorers/registry.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { type ServerDialect, startDialectServer } from "../helpers/dialect-servers.js";
import { loadPolicy } from "../helpers/models.js";
import { arithOptions, arithProblems } from "../strategies/fixtures.js";

// Every strategy family over the OpenAI-compatible backend against loopback servers that speak
// llama.cpp's server, vLLM and plain OpenAI on the wire (the wire facts are listed in
// test/helpers/dialect-servers.ts and docs/architecture.md), each generating with its own fresh
// instance of the embedded model. The same run on another fresh embedded instance must give the same
// answer, the same candidates and the same usage: seeds follow seed + i on both sides, so sampled
// families are as deterministic as greedy ones.
const FAMILIES: { spec: string; scorer?: string }[] = [
  { spec: "greedy" },
  { spec: "sc:n=6" },
  { spec: "bon:n=6", scorer: "verifier:arith" },
  { spec: "beam:n=4,m=2,temperature=0", scorer: "verifier:arith" },
  { spec: "beam:n=4,m=2", scorer: "verifier:arith" },
  // k = n: every sample finishes, so no cancellation races the comparison.
  { spec: "first-finish:n=4,k=4" },
  { spec: "early-reject:n=4,wave=2", scorer: "verifier:arith" },
];
const DIALECTS: ServerDialect[] = ["llama.cpp", "vllm", "openai"];
const PROBLEM = arithProblems(3, 1)[0]!;

async function runOn(model: LanguageModel, spec: string, scorerSpec?: string): Promise<StrategyResult> {
  const scorer: Scorer | undefined = scorerSpec ? await scorers.create(scorerSpec).open() : undefined;
  return runStrategy(createStrategy(spec), PROBLEM, arithOptions(model, scorer ? { scorer } : {}));
}

/** Runs `spec` on a fresh embedded model and through a `dialect` server over another fresh one. */
async function bothWays(dialect: ServerDialect, spec: string, scorer?: string, slots = 8) {
  const direct = await loadPolicy(8);
  const served = await loadPolicy(8);
  const server = await startDialectServer(dialect, served, { slots });
  try {
    const client = new OpenAICompatibleModel({ baseUrl: server.url, model: "tiny", backoffMs: 5 });
    const embedded = await runOn(direct, spec, scorer);
    const http = await runOn(client, spec, scorer);
    return { embedded, http, server };
  } finally {
    await server.close();
    await direct.close();
    await served.close();
  }
}

const usageOf = (r: StrategyResult) => {
  const { promptTokens, cachedPromptTokens, completionTokens, calls } = r.usage;
  return { promptTokens, cachedPromptTokens, completionTokens, calls };
};

for (const dialect of DIALECTS) {
  describe(`strategies over a ${dialect} server match the embedded backend`, () => {
    for (const family of FAMILIES) {
      test(`${family.spec}${family.scorer ? ` --scorer ${family.scorer}` : ""}`, async () => {
        const { embedded, http } = await bothWays(dialect, family.spec, family.scorer);
        assert.equal(http.stopReason, embedded.stopReason);
        // first-finish lists candidates in the order their requests returned: compare them as a set.
        const ordered = family.spec.startsWith("first-finish");
        const rows = (r: StrategyResult) => {
          const list = r.candidates.map((c) => [c.text, c.completionTokens, c.finishReason].join("|"));
          return ordered ? list.sort() : list;
        };
        assert.deepEqual(rows(http), rows(embedded));
        assert.equal(http.answer, embedded.answer);
        if (!ordered) assert.equal(http.chosen, embedded.chosen);
        // Concurrent single-sample requests reach the prefix cache in arrival order, which timing
        // decides on both sides: first-finish's cached share is not compared.
        const usage = (r: StrategyResult) => ({
          ...usageOf(r),
          ...(ordered ? { cachedPromptTokens: 0 } : {}),
        });
        assert.deepEqual(usage(http), usage(embedded));
      });
    }
  });
}

describe("usage over HTTP when the server splits a request", () => {
  test("n above llama.cpp's slot count: one call, the prompt once, every token", async () => {
    const { embedded, http, server } = await bothWays("llama.cpp", "sc:n=12", undefined, 4);
    const sent = server.requests.map((r) => Number(r.body.n));
    assert.deepEqual(sent.slice(0, 1), [12], "asked whole, refused");
    assert.ok(sent.slice(1).every((n) => n <= 4));
    assert.equal(http.answer, embedded.answer);
    assert.deepEqual(
      http.candidates.map((c) => c.text),
      embedded.candidates.map((c) => c.text),
    );
    assert.equal(http.usage.calls, 1);
    // The prompt counts once per request (the contract); the greedy run's count is the prompt's.
    const { http: greedy } = await bothWays("llama.cpp", "greedy");
    assert.equal(http.usage.promptTokens, greedy.usage.promptTokens);
    assert.equal(http.usage.completionTokens, embedded.usage.completionTokens);
  });
});
