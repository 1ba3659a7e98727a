import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { parseTraceFile, traceJsonSchema } from "../../src/core/trace-file.js";
import { runCli } from "../helpers/cli.js";

describe("trace files", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "deliberate-trace-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("docs/trace.schema.json is the schema the code checks (regenerate: npx tsx tools/trace-schema.ts)", () => {
    const onDisk = JSON.parse(readFileSync(new URL("../../docs/trace.schema.json", import.meta.url), "utf8"));
    assert.deepEqual(onDisk, traceJsonSchema());
  });

  test("deliberate run --trace writes a search tree that parses and adds up", () => {
    const file = path.join(dir, "beam.json");
    const { code, stderr, stdout } = runCli([
      "run",
      "--strategy",
      "beam:n=4,m=2",
      "--scorer",
      "prm",
      "--seed",
      "2",
      "--json",
      "--trace",
      file,
      "57+38-19+44",
    ]);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    const trace = parseTraceFile(JSON.parse(readFileSync(file, "utf8")));
    assert.equal(trace.strategy, out.strategy);
    assert.equal(trace.answer, out.answer);
    assert.deepEqual(trace.usage.completionTokens, out.usage.completionTokens);
    const tokens = trace.nodes.reduce((s, n) => s + n.tokens, 0);
    assert.equal(tokens, trace.usage.completionTokens, "the tree holds every generated token");
    const roots = trace.nodes.filter((n) => n.parent === null);
    assert.equal(roots.length, 1);
    // Each complete solution is the concatenation of the steps on its path.
    const byId = new Map(trace.nodes.map((n) => [n.id, n]));
    const finals = trace.nodes.filter((n) => n.status === "final" || n.status === "selected");
    assert.ok(finals.length >= 1);
    for (const leaf of finals) {
      let text = "";
      for (
        let at: (typeof trace.nodes)[number] | undefined = leaf;
        at;
        at = at.parent === null ? undefined : byId.get(at.parent)
      ) {
        text = at.text + text;
      }
      assert.match(text, /A:-?\d+\n$/);
      assert.equal(typeof leaf.score, "number");
    }
    assert.ok(trace.nodes.some((n) => n.status === "expanded" && n.parent !== null));
  });

  test("a malformed trace file is rejected with what is wrong", () => {
    assert.throws(() => parseTraceFile({ version: 2 }), /not a deliberate trace file/);
    const good = {
      version: 1,
      strategy: "x",
      prompt: "p",
      answer: null,
      stopReason: "completed",
      usage: { promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0, calls: 0, wallMs: 0 },
      scorerUsage: { promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0, calls: 0, wallMs: 0 },
      nodes: [{ id: 0, parent: 3, text: "", tokens: 0, status: "expanded" }],
    };
    assert.throws(() => parseTraceFile(good), /missing parent 3/);
  });
});
