import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { ConfigError } from "../../src/core/errors.js";
import { parameterInfo, parseSpec } from "../../src/core/spec.js";
import { scorers } from "../../src/scorers/registry.js";
import { layers } from "../../src/strategies/layers.js";
import { createStrategy, strategies } from "../../src/strategies/registry.js";

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
  test("every parameter of every strategy, layer and scorer says what it means", () => {
    for (const registry of [strategies, layers, scorers]) {
      for (const def of registry.list()) {
        assert.deepEqual(
          def.parameters.map((p) => p.name),
          def.params,
        );
        for (const p of def.parameters) assert.ok(p.description.length > 0, `${def.name}.${p.name}`);
      }
    }
  });
  test("parameters carry their defaults and enum values", () => {
    const sc = strategies.list().find((s) => s.name === "self-consistency")!;
    assert.deepEqual(
      sc.parameters.map((p) => [p.name, p.default]),
      [
        ["n", 16],
        ["temperature", 0.8],
        ["topP", 1],
        ["topK", 0],
        ["maxTokens", undefined],
      ],
    );
    const mbr = strategies.list().find((s) => s.name === "mbr")!;
    assert.deepEqual(mbr.parameters.at(-1), {
      name: "similarity",
      description: "how two solutions are compared: same answer, shared lines, shared words, edit distance",
      default: "answer",
      values: ["answer", "lines", "words", "edit"],
    });
  });
  test("parameterInfo reads through default and optional wrappers", () => {
    assert.deepEqual(parameterInfo("a", z.coerce.number().describe("inner").default(3)), {
      name: "a",
      description: "inner",
      default: 3,
    });
    assert.deepEqual(parameterInfo("b", z.string().optional()), {
      name: "b",
      description: "",
      default: undefined,
    });
  });
});

describe("scorer registry", () => {
  test("prm takes a positional source and validates aggregation", () => {
    assert.match(scorers.create("prm:some.gguf,aggregation=last").spec, /source=some.gguf/);
    assert.throws(() => scorers.create("prm:aggregation=median"), /"aggregation"/);
  });
});
