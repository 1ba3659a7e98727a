import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "deliberate-cli-"));

describe("deliberate run", () => {
  test("answers with the embedded default model", () => {
    const { code, stdout, stderr } = runCli(["run", "--strategy", "sc:n=4", "57+38-19+44"]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^-?\d+\n$/);
    assert.equal(stderr, "", "an arithmetic question gets no note");
  });

  test("--json has the answer, candidates and usage that add up; --trace writes the tree", () => {
    const traceFile = path.join(dir, "trace.json");
    const { code, stdout, stderr } = runCli([
      "run",
      "--strategy",
      "sc:n=6,temperature=1",
      "--seed",
      "3",
      "--json",
      "--trace",
      traceFile,
      "Q:23+45-12",
    ]);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.strategy, "self-consistency:n=6,temperature=1,topP=1,topK=0");
    assert.equal(out.candidates.length, 6);
    for (const key of ["promptTokens", "cachedPromptTokens", "completionTokens", "calls", "wallMs"]) {
      assert.equal(typeof out.usage[key], "number", key);
    }
    const sum = out.candidates.reduce(
      (s: number, c: { completionTokens: number }) => s + c.completionTokens,
      0,
    );
    assert.equal(out.usage.completionTokens, sum);
    assert.equal(out.usage.calls, 1);
    const winner = out.candidates.filter((c: { answer: string }) => c.answer === out.answer).length;
    for (const c of out.candidates) {
      const votes = out.candidates.filter((d: { answer: string }) => d.answer === c.answer).length;
      assert.ok(votes <= winner, "the answer is a majority answer");
    }
    const trace = JSON.parse(readFileSync(traceFile, "utf8"));
    assert.equal(trace.nodes.length, 7, "a root and one node per candidate");
    assert.ok(trace.nodes.some((n: { status: string }) => n.status === "selected"));
    // The same seed reproduces the same result.
    const again = JSON.parse(
      runCli(["run", "--strategy", "sc:n=6,temperature=1", "--seed", "3", "--json", "Q:23+45-12"]).stdout,
    );
    assert.deepEqual(
      again.candidates.map((c: { text: string }) => c.text),
      out.candidates.map((c: { text: string }) => c.text),
    );
  });

  test("--json lists each candidate's confidence where the strategy reads it", () => {
    const { code, stdout, stderr } = runCli(["run", "--strategy", "cges:n=8", "--json", "57+38-19+44"]);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.ok(out.candidates.length >= 4);
    for (const c of out.candidates) {
      assert.ok(c.confidence >= 0.001 && c.confidence <= 0.999, String(c.confidence));
    }
  });

  test("reads the prompt from stdin with -; a prompt that is not an arithmetic question gets one note", () => {
    // One model load for both: the note proves the text from stdin is the prompt.
    const { code, stdout, stderr } = runCli(
      ["run", "--strategy", "greedy", "--max-tokens", "8", "-"],
      "What is the capital of France?\n",
    );
    assert.equal(code, 0, stderr);
    assert.ok(stdout.trim().length > 0, "something is answered");
    const notes = stderr.match(/^note: .*$/gm) ?? [];
    assert.equal(notes.length, 1, stderr);
    assert.match(
      notes[0]!,
      /^note: the embedded default model only does the arithmetic task .*this prompt is not one/,
    );
  });

  const bad: [string, string[], RegExp][] = [
    ["unknown strategy", ["run", "--strategy", "nope", "x"], /unknown strategy "nope" — valid: greedy/],
    ["n=0", ["run", "--strategy", "sc:n=0", "x"], /invalid value "0" for "n"/],
    ["n=100000", ["run", "--strategy", "sc:n=100000", "x"], /invalid value "100000" for "n"/],
    ["negative temperature", ["run", "--strategy", "sc:temperature=-0.5", "x"], /"temperature"/],
    ["missing model", ["run", "--model", "/no/such/model.gguf", "x"], /model file not found/],
    ["unknown scorer", ["run", "--scorer", "oracle", "x"], /unknown scorer "oracle"/],
    ["bad seed", ["run", "--seed", "-4", "x"], /--seed/],
    [
      "scored strategy on a server model without --scorer",
      ["run", "--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--strategy", "bon:n=2", "x"],
      /^error: strategy best-of-n:n=2,\S* needs a scorer — pass --scorer SPEC\n$/,
    ],
    [
      "whitespace-only prompt",
      ["run", "   \n "],
      /^error: the prompt is empty \(it has only whitespace\)\n$/,
    ],
  ];
  for (const [name, args, message] of bad) {
    test(`bad input: ${name} → one error line, exit 1, no stack trace`, () => {
      const { code, stderr } = runCli(args);
      assert.equal(code, 1);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
    });
  }

  test("a corrupt model file and an unreachable server fail cleanly; --debug shows the stack", () => {
    const file = path.join(dir, "corrupt.gguf");
    writeFileSync(file, Buffer.alloc(4096, 7));
    const corrupt = runCli(["run", "--model", file, "x"]);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /^error: .*corrupt\.gguf is not a GGUF file/);
    assert.equal(corrupt.stderr.trim().split("\n").length, 1);
    const server = runCli(["run", "--base-url", "http://127.0.0.1:1/v1", "--model", "m", "x"]);
    assert.equal(server.code, 1);
    assert.match(server.stderr, /^error: cannot reach http:\/\/127\.0\.0\.1:1\/v1/);
    const dialect = runCli([
      "run",
      "--base-url",
      "http://127.0.0.1:1/v1",
      "--dialect",
      "tgi",
      "--model",
      "m",
      "x",
    ]);
    assert.notEqual(dialect.code, 0);
    assert.match(dialect.stderr, /expected auto, llama\.cpp, vllm, sglang, openai; got "tgi"/);
    const debug = runCli(["run", "--debug", "--model", "/no/such/model.gguf", "x"]);
    assert.match(debug.stderr, /\n\s+at /);
  });
});

describe("deliberate strategies / scorers", () => {
  test("list each parameter with its default and meaning", () => {
    const { code, stdout } = runCli(["strategies"]);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /self-consistency \(sc\): .*\n\s+n=16\s+samples drawn\n\s+temperature=0\.8\s+sampling temperature/,
    );
    assert.match(
      stdout,
      /\n\s+aggregate=sum\s+how an answer's candidate scores make its weight \(sum \| max \| mean\)\n/,
    );
    // A parameter without a default is listed by its name alone.
    assert.match(stdout, /greedy: .*\n\s+maxTokens\s+most tokens per solution/);
    const scorerList = runCli(["scorers"]);
    assert.equal(scorerList.code, 0);
    assert.match(
      scorerList.stdout,
      /genprm: .*\n\s+source\s+a GGUF path, an hf: URI or a server URL \(default: the embedded generative PRM\)/,
    );
    assert.match(scorerList.stdout, /\n\s+aggregation=min\s+how step scores make/);
  });
});
