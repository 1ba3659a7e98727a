import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { writeRandomGguf } from "../../tools/random-gguf.js";
import { usePolicy, useResource } from "../helpers/models.js";

/**
 * The raw next-token distribution after "Q:5" on the shipped policy, by token text, read through
 * score() with every alternative. It is spread enough (about 0.58 / 0.22 / 0.18 / 0.01 / …) that
 * truncation rules keep different sets.
 */
async function rawDistribution(model: LlamaCppModel, prompt: string): Promise<[string, number][]> {
  const { tokens } = await model.score({ prompt, continuation: "0", topLogprobs: 1000 });
  return Object.entries(tokens[0]!.top!)
    .map(([text, logprob]): [string, number] => [text, Math.exp(logprob)])
    .sort((a, b) => b[1] - a[1]);
}

/** llama.cpp's chain on the raw distribution: top-k, top-p, min-p, then temperature. */
function expected(
  raw: [string, number][],
  o: { topK?: number; topP?: number; minP?: number; temperature: number },
): Map<string, number> {
  let kept = o.topK ? raw.slice(0, o.topK) : raw;
  if (o.topP !== undefined && o.topP < 1) {
    const total = kept.reduce((s, [, p]) => s + p, 0);
    let cumulative = 0;
    const cut = kept.findIndex(([, p]) => {
      cumulative += p / total;
      return cumulative >= o.topP!;
    });
    kept = kept.slice(0, cut + 1);
  }
  if (o.minP) kept = kept.filter(([, p]) => p >= o.minP! * kept[0]![1]);
  const weights = kept.map(([text, p]): [string, number] => [text, p ** (1 / o.temperature)]);
  const total = weights.reduce((s, [, w]) => s + w, 0);
  return new Map(weights.map(([text, w]) => [text, w / total]));
}

describe("native sampling on the shipped policy", () => {
  const model = usePolicy(16);
  const prompt = "Q:5";
  const draws = 2000;

  const cases = [
    { name: "full distribution", temperature: 1 },
    { name: "temperature 0.5", temperature: 0.5 },
    { name: "top-k 2", temperature: 1, topK: 2 },
    { name: "top-p 0.9", temperature: 1, topP: 0.9 },
    { name: "min-p 0.35", temperature: 1, minP: 0.35 },
    { name: "top-k 3 at temperature 0.7", temperature: 0.7, topK: 3 },
  ];
  for (const c of cases) {
    test(`${c.name}: draws follow the exact truncated distribution`, async () => {
      const raw = await rawDistribution(model(), prompt);
      const want = expected(raw, c);
      const { completions } = await model().complete({ prompt, n: draws, maxTokens: 1, seed: 17, ...c });
      const counts = new Map<string, number>();
      for (const completion of completions)
        counts.set(completion.text, (counts.get(completion.text) ?? 0) + 1);
      for (const [text, count] of counts) {
        assert.ok(want.has(text), `${JSON.stringify(text)} drawn ${count} times but outside the kept set`);
      }
      for (const [text, q] of want) {
        const frequency = (counts.get(text) ?? 0) / draws;
        // Four binomial standard deviations, plus slack for llama.cpp's float32 softmax.
        const bound = 4 * Math.sqrt((q * (1 - q)) / draws) + 0.003;
        assert.ok(
          Math.abs(frequency - q) <= bound,
          `${JSON.stringify(text)}: drawn ${frequency.toFixed(4)}, exact ${q.toFixed(4)} (± ${bound.toFixed(4)})`,
        );
      }
    });
  }

  test("temperature 0 is the argmax, for every seed", async () => {
    const raw = await rawDistribution(model(), prompt);
    const { completions } = await model().complete({ prompt, n: 16, maxTokens: 1, temperature: 0, seed: 3 });
    assert.deepEqual(new Set(completions.map((c) => c.text)), new Set([raw[0]![0]]));
  });
});

describe("native sampling at a larger vocabulary (random weights, 5,000 tokens)", () => {
  const model = useResource(
    async () => {
      const file = await writeRandomGguf({
        vocab: 5000,
        out: path.join(mkdtempSync(path.join(tmpdir(), "deliberate-vocab-")), "random.gguf"),
      });
      return LlamaCppModel.load({ model: file, parallel: 8, gpu: false });
    },
    (m) => m.close(),
  );
  const request = { prompt: "Q:57+38\n", n: 6, temperature: 0.8, seed: 40, maxTokens: 24 };

  test("the end token is never drawn: every sample runs to its limit", async () => {
    const { completions, usage } = await model().complete(request);
    for (const c of completions) {
      assert.equal(c.finishReason, "length");
      assert.equal(c.completionTokens, 24);
    }
    assert.equal(usage.completionTokens, 6 * 24);
  });

  test("sample i of n is the single sample of seed + i; the same seed repeats", async () => {
    const all = await model().complete(request);
    const again = await model().complete(request);
    assert.deepEqual(
      again.completions.map((c) => c.text),
      all.completions.map((c) => c.text),
    );
    assert.ok(new Set(all.completions.map((c) => c.text)).size === 6);
    for (const i of [0, 4]) {
      const single = await model().complete({ ...request, n: 1, seed: request.seed + i });
      assert.equal(single.completions[0]!.text, all.completions[i]!.text);
    }
  });

  // Generated text does not re-tokenize into the same tokens here (the extra pieces are not
  // reachable by the tokenizer's merges), so instead of score() the two native paths that read
  // log-probabilities check each other: the sampled token's logit read back from its own sampler,
  // and the top-k list read from the raw distribution by a separate top-k sampler.
  test("sampled tokens' log-probabilities agree with the raw top-k distribution", async () => {
    for (const temperature of [0, 0.8]) {
      const { completions } = await model().complete({
        ...request,
        temperature,
        n: 2,
        logprobs: true,
        topLogprobs: 5,
      });
      for (const c of completions) {
        assert.equal(c.logprobs!.length, 24);
        for (const t of c.logprobs!) {
          const top = Object.values(t.top!);
          assert.equal(top.length, 5);
          assert.ok(top.reduce((s, lp) => s + Math.exp(lp), 0) <= 1 + 1e-6);
          assert.ok(t.logprob <= 0 && Number.isFinite(t.logprob));
          if (t.token in t.top!) assert.ok(Math.abs(t.top![t.token]! - t.logprob) < 1e-4, `${t.token}`);
          if (temperature === 0)
            assert.ok(Math.abs(Math.max(...top) - t.logprob) < 1e-4, "greedy takes the top token");
        }
      }
    }
  });
});
