import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EndpointPool } from "../../src/backends/openai-compatible/endpoints.js";

describe("EndpointPool", () => {
  test("new prompts go to the least-loaded endpoint; a prompt's requests stay on its endpoint", () => {
    const pool = new EndpointPool(["a", "b", "c"], "vllm", 8);
    const first = ["p1", "p2", "p3", "p4"].map((key) => pool.pick(key).url);
    assert.deepEqual(first, ["a", "b", "c", "a"], "spread by prompts held when nothing is in flight");
    pool.endpoints[1]!.active = 5;
    assert.equal(pool.pick("p2").url, "b", "affinity beats load");
    assert.equal(pool.pick("p5").url, "c", "a new prompt avoids the busy endpoint");
  });

  test("a failed endpoint is cooled down and its prompts move; it comes back after a success", () => {
    const pool = new EndpointPool(["a", "b"], "vllm", 8);
    const a = pool.pick("p1");
    assert.equal(a.url, "a");
    pool.failed(a);
    assert.equal(pool.pick("p1").url, "b", "moved while a cools down");
    assert.equal(pool.pick("p1").url, "b", "and stays there");
    assert.equal(pool.hasAlternative(new Set([pool.endpoints[1]!])), false);
    pool.succeeded(a);
    assert.equal(pool.hasAlternative(new Set([pool.endpoints[1]!])), true);
    assert.equal(pool.pick("p1", new Set([pool.endpoints[1]!])).url, "a", "excluded endpoints are avoided");
  });

  test("when every endpoint is down, one is still picked (the caller backs off)", () => {
    const pool = new EndpointPool(["a", "b"], undefined, 8);
    for (const e of pool.endpoints) pool.failed(e);
    assert.ok(["a", "b"].includes(pool.pick("p").url));
  });
});
