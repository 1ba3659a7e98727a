import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { parseSpec } from "../../src/core/spec.js";
import { createStrategy, strategies } from "../../src/strategies/registry.js";
import { scorers } from "../../src/scorers/registry.js";

describe("parseSpec", () => {
  test("name alone", () => {
    assert.deepEqual(parseSpec("greedy"), { name: "greedy", positional: [], params: {} });
  });
  test("key=value items and positionals, URLs kept whole", () => {
    assert.deepEqual(parseSpec("sc:n=16, temperature=0.8"), {
      name: "sc",
      positional: [],
      params: { n: "16", temperature: "0.8" },
    });
    assert.deepEqual(parseSpec("prm:http://127.0.0.1:8000/v1?x=1,aggregation=last"), {
      name: "prm",
      positional: ["http://127.0.0.1:8000/v1?x=1"],
      params: { aggregation: "last" },
    });
  });
  test("rejects a missing name and repeated keys", () => {
    assert.throws(() => parseSpec(":n=3"), ConfigError);
    assert.throws(() => parseSpec("sc:n=3,n=4"), /twice/);
  });
});

describe("strategy registry", () => {
  test("aliases resolve and the canonical spec carries defaults", () => {
    const s = createStrategy("sc:n=4");
    assert.match(s.spec, /^self-consistency:n=4,temperature=0.8/);
    assert.equal(createStrategy("bon").needsScorer, true);
  });
  test("unknown name lists the valid ones", () => {
    assert.throws(
      () => createStrategy("nope"),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /unknown strategy "nope"/);
        assert.match(e.message, /self-consistency \(sc\)/);
        return true;
      },
    );
  });
  test("unknown key lists the valid keys", () => {
    assert.throws(() => createStrategy("sc:width=3"), /unknown parameter "width".*valid: n, temperature/);
  });
  test("bad values name the key", () => {
    assert.throws(() => createStrategy("sc:n=0"), /"n" of strategy "self-consistency"/);
    assert.throws(() => createStrategy("sc:n=100000"), /"n"/);
    assert.throws(() => createStrategy("sc:temperature=-1"), /"temperature"/);
    assert.throws(() => createStrategy("sc:n=abc"), /"n"/);
  });
  test("a positional value is refused where none is defined", () => {
    assert.throws(() => createStrategy("greedy:fast"), /unexpected value "fast"/);
  });
  test("every strategy is listed with its parameters", () => {
    const list = strategies.list();
    const names = list.map((s) => s.name);
    for (const name of ["greedy", "sample", "self-consistency", "best-of-n"])
      assert.ok(names.includes(name), name);
    assert.equal(new Set(names).size, names.length, "names are unique");
    for (const s of list) assert.ok(s.description.length > 0, `${s.name} has a description`);
  });
});

describe("scorer registry", () => {
  test("prm takes a positional source and validates aggregation", () => {
    assert.match(scorers.create("prm:some.gguf,aggregation=last").spec, /source=some.gguf/);
    assert.throws(() => scorers.create("prm:aggregation=median"), /"aggregation"/);
  });
});
