import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
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
  // More samples than the embedded model decodes at once (8).
  { spec: "sc:n=12" },
  { spec: "bon:n=6", scorer: "verifier:arith" },
  { spec: "beam:n=4,m=2,temperature=0", scorer: "verifier:arith" },
  { spec: "beam:n=4,m=2", scorer: "verifier:arith" },
  // k = n: every sample finishes, so no cancellation races the comparison.
  { spec: "first-finish:n=4,k=4" },
  { spec: "early-reject:n=4,wave=2", scorer: "verifier:arith" },
];
const DIALECTS: ServerDialect[] = ["llama.cpp", "vllm", "sglang", "openai"];
const PROBLEM = arithProblems(3, 1)[0]!;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const execFileAsync = promisify(execFile);

async function runOn(model: LanguageModel, spec: string, scorerSpec?: string): Promise<StrategyResult> {
  const scorer: Scorer | undefined = scorerSpec ? await scorers.create(scorerSpec).open() : undefined;
  return runStrategy(createStrategy(spec), PROBLEM, arithOptions(model, scorer ? { scorer } : {}));
}

/** Runs `spec` on a fresh embedded model and through a `dialect` server over another fresh one. */
async function bothWays(dialect: ServerDialect, spec: string, scorer?: string, slots = 16) {
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
        // Concurrent requests reach the prefix cache in arrival order, which timing decides on both
        // sides: which sequence a request finds its prefix in (and so the cached share) can differ
        // by a token where a search sends several requests at once. first-finish's cached share is
        // not compared; elsewhere it may differ by at most 1% of the prompt tokens.
        const usage = (r: StrategyResult) => ({ ...usageOf(r), cachedPromptTokens: 0 });
        assert.deepEqual(usage(http), usage(embedded));
        if (!ordered) {
          const drift = Math.abs(http.usage.cachedPromptTokens - embedded.usage.cachedPromptTokens);
          assert.ok(
            drift <= 0.01 * embedded.usage.promptTokens,
            `cached prompt tokens ${http.usage.cachedPromptTokens} over HTTP, ${embedded.usage.cachedPromptTokens} embedded`,
          );
        }
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

describe("continuing an assistant message on the chat endpoint", () => {
  for (const dialect of ["llama.cpp", "vllm"] as const) {
    test(`${dialect}: the new text only, stopped at the step delimiter`, async () => {
      const direct = await loadPolicy(4);
      const served = await loadPolicy(4);
      const server = await startDialectServer(dialect, served);
      try {
        const client = new OpenAICompatibleModel({ baseUrl: server.url, model: "tiny" });
        const request = {
          prompt: { messages: [{ role: "user" as const, content: "Q:57+38-19+44\n" }] },
          prefix: "57+38=95\n",
          n: 3,
          temperature: 0.8,
          seed: 5,
          maxTokens: 40,
          stop: ["\n"],
        };
        const expected = await direct.complete(request);
        const got = await client.complete(request);
        assert.deepEqual(
          got.completions.map((c) => [c.text, c.stopSequence, c.completionTokens]),
          expected.completions.map((c) => [c.text, c.stopSequence, c.completionTokens]),
        );
        assert.ok(
          got.completions.every((c) => !c.text.startsWith("57+38")),
          "no repeated prefix",
        );
        const { promptTokens, completionTokens, calls } = got.usage;
        assert.deepEqual(
          { promptTokens, completionTokens, calls },
          {
            promptTokens: expected.usage.promptTokens,
            completionTokens: expected.usage.completionTokens,
            calls: 1,
          },
        );
      } finally {
        await server.close();
        await direct.close();
        await served.close();
      }
    });
  }
});

describe("logprobs are asked for as the request needs them", () => {
  test("llama.cpp: one alternative for accounting, the caller's count when it asks", async () => {
    const served = await loadPolicy(4);
    const server = await startDialectServer("llama.cpp", served);
    try {
      const client = new OpenAICompatibleModel({ baseUrl: server.url, model: "tiny" });
      const chat = { messages: [{ role: "user" as const, content: "Q:57+38-19+44\n" }] };
      await client.complete({ prompt: chat, temperature: 0, maxTokens: 20 });
      await client.complete({ prompt: chat, n: 2, temperature: 0, maxTokens: 20 });
      const asked = await client.complete({ prompt: chat, temperature: 0, maxTokens: 20, logprobs: true });
      await client.complete({ prompt: chat, temperature: 0, maxTokens: 20, logprobs: true, topLogprobs: 3 });
      const sent = server.requests.map((r) => [r.body.logprobs, r.body.top_logprobs]);
      // Never `logprobs: true` alone: llama.cpp's server would answer 20 alternatives per token.
      assert.deepEqual(sent, [
        [undefined, undefined],
        [true, 1],
        [true, 1],
        [true, 3],
      ]);
      const lp = asked.completions[0]!.logprobs!;
      assert.equal(lp.map((t) => t.token).join(""), asked.completions[0]!.text);
      assert.ok(
        lp.every((t) => t.top === undefined),
        "no alternatives that were not asked for",
      );
    } finally {
      await server.close();
      await served.close();
    }
  });
});

describe("several endpoints", () => {
  test("prefix affinity, and a dead endpoint's requests fail over to the others", async () => {
    const direct = await loadPolicy(8);
    const served = await loadPolicy(8);
    const servers = await Promise.all([
      startDialectServer("llama.cpp", served),
      startDialectServer("llama.cpp", served),
      startDialectServer("llama.cpp", served),
    ]);
    try {
      const client = new OpenAICompatibleModel({
        baseUrl: servers.map((s) => s.url),
        model: "tiny",
        backoffMs: 5,
      });
      const problems = arithProblems(2, 6);
      // Greedy samples: the served runs share the server's batches with each other, and under
      // another batch layout llama.cpp's logits differ in the last bits, enough to flip a sampled
      // token but not a greedy one with this model's margins.
      const spec = "sc:n=4,temperature=0";
      const runAll = (model: LanguageModel) =>
        Promise.all(problems.map((p) => runStrategy(createStrategy(spec), p, arithOptions(model))));
      const first = await runAll(client);
      const expected = [];
      for (const p of problems)
        expected.push(await runStrategy(createStrategy(spec), p, arithOptions(direct)));
      assert.deepEqual(
        first.map((r) => r.answer),
        expected.map((r) => r.answer),
      );
      // Every prompt went to exactly one endpoint, and the work was spread.
      const owners = (prompt: string) =>
        servers.filter((s) => s.requests.some((r) => r.body.prompt === prompt)).length;
      for (const p of problems) assert.equal(owners(p.prompt as string), 1, "one endpoint per prompt");
      assert.ok(servers.filter((s) => s.requests.length > 0).length >= 2, "spread over endpoints");

      // One endpoint dies; another answers 503 twice: every run still completes, with the same answers.
      const busiest = servers.reduce((a, b) => (a.requests.length >= b.requests.length ? a : b));
      busiest.die();
      servers.find((s) => s !== busiest)!.failNext(2);
      const before = busiest.requests.length;
      const second = await runAll(client);
      assert.deepEqual(
        second.map((r) => r.answer),
        expected.map((r) => r.answer),
      );
      assert.deepEqual(
        second.map((r) => r.usage.calls),
        expected.map((r) => r.usage.calls),
      );
      assert.ok(busiest.requests.length > before, "the dead endpoint was tried");
    } finally {
      for (const s of servers) await s.close();
      await direct.close();
      await served.close();
    }
  });

  test("a fleet that is all down fails with the last error after the retries", async () => {
    const served = await loadPolicy(2);
    const servers = await Promise.all([
      startDialectServer("vllm", served),
      startDialectServer("vllm", served),
    ]);
    try {
      for (const s of servers) s.die();
      const client = new OpenAICompatibleModel({
        baseUrl: servers.map((s) => s.url),
        model: "tiny",
        backoffMs: 5,
        maxRetries: 2,
      });
      await assert.rejects(client.complete({ prompt: "Q:1+2\n", maxTokens: 5 }), /cannot reach/);
      const tries = servers.reduce((s, x) => s + x.requests.length, 0);
      assert.equal(tries, 2 + 2, "one try per endpoint, then the retries");
    } finally {
      for (const s of servers) await s.close();
      await served.close();
    }
  });
});

describe("deliberate run with a repeated --base-url", () => {
  test("a fleet of two, the first dead: the run fails over and answers as the embedded model", async () => {
    const direct = await loadPolicy(4);
    const served = await loadPolicy(4);
    const [dead, alive] = await Promise.all([
      startDialectServer("llama.cpp", served),
      startDialectServer("llama.cpp", served),
    ]);
    dead!.die();
    try {
      const prompt = PROBLEM.prompt as string;
      const { stdout } = await execFileAsync(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          "run",
          "--strategy",
          "sc:n=4",
          "--base-url",
          dead!.url,
          "--base-url",
          alive!.url,
          "--model",
          "tiny",
          "--max-tokens",
          "60",
          "--seed",
          "3",
          "--json",
          prompt,
        ],
        { cwd: ROOT, timeout: 120_000 },
      );
      const result = JSON.parse(stdout) as { answer: string | null; usage: { calls: number } };
      const expected = await runStrategy(createStrategy("sc:n=4"), PROBLEM, arithOptions(direct));
      assert.equal(result.answer, expected.answer);
      assert.equal(result.usage.calls, 1);
      assert.ok(alive!.requests.length >= 1 && dead!.requests.length >= 1);
    } finally {
      await dead!.close();
      await alive!.close();
      await direct.close();
      await served.close();
    }
  });
});

describe("aborted requests count what the server generated", () => {
  for (const dialect of ["llama.cpp", "vllm", "sglang"] as const) {
    test(`${dialect}: first-finish cancels the slower samples mid-stream and counts their tokens`, async () => {
      const served = await loadPolicy(8);
      const server = await startDialectServer(dialect, served, { pieceDelayMs: 4 });
      try {
        const client = new OpenAICompatibleModel({ baseUrl: server.url, model: "tiny" });
        const result = await runStrategy(
          createStrategy("first-finish:n=4,k=1,select=shortest"),
          PROBLEM,
          arithOptions(client),
        );
        assert.equal(result.stopReason, "early-stop");
        assert.equal(result.usage.calls, 4, "every request reached the server");
        assert.ok(server.requests.every((r) => r.body.stream === true));
        const finished = result.candidates.filter((c) => c.finishReason === "stop");
        const aborted = result.candidates.filter((c) => c.finishReason === "abort");
        assert.ok(finished.length >= 1 && aborted.length >= 1);
        const finishedTokens = finished.reduce((s, c) => s + c.completionTokens, 0);
        const abortedTokens = aborted.reduce((s, c) => s + c.completionTokens, 0);
        assert.ok(abortedTokens > 0, "the cancelled samples' tokens are counted");
        assert.equal(result.usage.completionTokens, finishedTokens + abortedTokens);
        if (dialect === "llama.cpp") {
          // Every request's prompt is counted, from the server's prompt progress.
          const { usage: one } = await served.complete({ prompt: PROBLEM.prompt, maxTokens: 1 });
          assert.equal(result.usage.promptTokens, 4 * one.promptTokens);
        }
        // At most what the server sent before the connection closed.
        const sent = server.requests.reduce((s, r) => s + (r.streamedPieces ?? 0), 0);
        assert.ok(abortedTokens <= sent, `${abortedTokens} counted, ${sent} sent`);
      } finally {
        await server.close();
        await served.close();
      }
    });
  }
});

describe("onText", () => {
  test("streams every sample's text under its own index, across split requests", async () => {
    const served = await loadPolicy(4);
    const server = await startDialectServer("llama.cpp", served, { slots: 4 });
    try {
      const client = new OpenAICompatibleModel({ baseUrl: server.url, model: "tiny" });
      const seen: string[] = [];
      const response = await client.complete({
        prompt: PROBLEM.prompt,
        n: 10,
        seed: 7,
        maxTokens: 40,
        onText: (index, text) => {
          seen[index] = (seen[index] ?? "") + text;
        },
      });
      assert.deepEqual(
        seen,
        response.completions.map((c) => c.text),
      );
      assert.equal(response.usage.calls, 1);
      assert.ok(server.requests.every((r) => r.body.stream === true));
      const direct = await served.complete({ prompt: PROBLEM.prompt, n: 10, seed: 7, maxTokens: 40 });
      assert.deepEqual(
        response.completions.map((c) => [c.text, c.completionTokens]),
        direct.completions.map((c) => [c.text, c.completionTokens]),
      );
    } finally {
      await server.close();
      await served.close();
    }
  });
});
