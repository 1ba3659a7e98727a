/**
 * `deliberate grade` and `deliberate extract` as child processes: one output line per input line in
 * order, per-line errors that do not stop the stream, `--order`, large inputs, and answers written
 * while stdin is still open (streaming).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runCli } from "../helpers/cli.js";

const root = join(import.meta.dirname, "..", "..");

function jsonLines(stdout: string): unknown[] {
  assert.ok(stdout.endsWith("\n"), "output ends with a newline");
  return stdout
    .slice(0, -1)
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("deliberate grade", () => {
  test("one {equal} per line, in order, with mathEqual's equivalences", () => {
    const pairs = [
      { gold: "\\frac12", pred: "0.5", equal: true },
      { gold: "3", pred: "4", equal: false },
      { gold: "\\{1,2\\}", pred: "\\{2,1\\}", equal: true },
      { gold: "(1,2)", pred: "(2,1)", equal: false },
      { gold: "x=5", pred: "5", equal: true },
      { gold: "2\\sqrt{2}", pred: "\\sqrt{8}", equal: true },
      { gold: "10\\%", pred: "0.1", equal: true },
    ];
    const input = pairs.map(({ gold, pred }) => JSON.stringify({ gold, pred })).join("\n");
    const { code, stdout, stderr } = runCli(["grade"], `${input}\n`);
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      jsonLines(stdout),
      pairs.map((p) => ({ equal: p.equal })),
    );
    assert.equal(stderr, "");
  });

  test("a malformed line gives {error} in its place and the rest go on; exit 0", () => {
    const input = [
      '{"gold": "1", "pred": "1"}',
      "not json",
      '{"gold": "1"}',
      '{"gold": "1", "pred": 1}',
      "",
      "[1, 2]",
      "null",
      '{"gold": "2", "pred": "2.0"}',
      '{"gold": "2", "pred": "3"}\r',
    ].join("\n");
    const { code, stdout, stderr } = runCli(["grade"], input); // no final newline: the last line counts
    assert.equal(code, 0, stderr);
    const out = jsonLines(stdout) as Record<string, unknown>[];
    assert.equal(out.length, 9, "one output line per input line");
    assert.deepEqual(out[0], { equal: true });
    assert.match(String(out[1]!.error), /^line 2: invalid JSON/);
    assert.match(String(out[2]!.error), /^line 3: missing field "pred"/);
    assert.match(String(out[3]!.error), /^line 4: field "pred" must be a string, got number/);
    assert.match(String(out[4]!.error), /^line 5: blank line/);
    assert.match(String(out[5]!.error), /^line 6: expected a JSON object, got an array/);
    assert.match(String(out[6]!.error), /^line 7: expected a JSON object, got null/);
    assert.deepEqual(out[7], { equal: true });
    assert.deepEqual(out[8], { equal: false }, "a CRLF line ending is not part of the JSON");
    assert.match(stderr, /6 of 9 line\(s\) could not be processed/);
  });

  test('{"gold","output"}: extracts from the whole output and returns the answer; numeric golds', () => {
    const rows = [
      { gold: 7.78, output: "Final Answer: The final answer is 7.78. I hope it is correct." },
      { gold: "\\frac{14}{3}", output: "so $2+\\frac{5}{3}+1=\\boxed{\\frac{14}{3}}$" },
      { gold: "(1,2),(2,1)", output: "The solutions are \\boxed{(1, 2)}, \\boxed{(2, 1)}." },
      { gold: "C", output: "La réponse est C" },
      { gold: 120, output: "The volume of $ABCDEFGH$ is 121." },
      { gold: "5", output: "I do not know." },
    ];
    const { code, stdout, stderr } = runCli(["grade"], `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    assert.equal(code, 0, stderr);
    assert.deepEqual(jsonLines(stdout), [
      { equal: true, answer: "7.78" },
      { equal: true, answer: "\\frac{14}{3}" },
      { equal: true, answer: "(1, 2), (2, 1)" },
      { equal: true, answer: "C" },
      { equal: false, answer: "121" },
      { equal: false, answer: null },
    ]);
  });

  test("--off switches a convention off; pred and output together are an error", () => {
    const input = `${JSON.stringify({ gold: "1,22", pred: "1.22" })}\n${JSON.stringify({ gold: "1", pred: "1", output: "1" })}\n`;
    const on = runCli(["grade"], input);
    const off = runCli(["grade", "--off", "decimalComma"], input);
    assert.deepEqual((jsonLines(on.stdout) as Record<string, unknown>[])[0], { equal: true });
    const offOut = jsonLines(off.stdout) as Record<string, unknown>[];
    assert.deepEqual(offOut[0], { equal: false });
    assert.match(String(offOut[1]!.error), /^line 2: give either "pred"/);
    const bad = runCli(["grade", "--off", "nonsense"], "");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown convention "nonsense"/);
  });

  test("empty input gives empty output", () => {
    const { code, stdout } = runCli(["grade"], "");
    assert.equal(code, 0);
    assert.equal(stdout, "");
  });

  test("large input: 20,000 lines stay aligned", () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Every 7th line is wrong, every 1000th is not JSON.
      if (i % 1000 === 999) lines.push("{oops");
      else lines.push(JSON.stringify({ gold: String(i), pred: i % 7 === 0 ? String(i + 1) : `${i}.0` }));
    }
    const started = performance.now();
    const { code, stdout, stderr } = runCli(["grade"], `${lines.join("\n")}\n`);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, 0, stderr);
    const out = jsonLines(stdout) as Record<string, unknown>[];
    assert.equal(out.length, 20_000);
    out.forEach((o, i) => {
      if (i % 1000 === 999) assert.match(String(o.error), new RegExp(`^line ${i + 1}: invalid JSON`));
      else assert.deepEqual(o, { equal: i % 7 !== 0 }, `line ${i + 1}`);
    });
    assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
  });

  test("streams: each answer is written before stdin ends", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "grade"], {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    const waiters: { lines: number; resolve: () => void }[] = [];
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      const have = stdout.split("\n").length - 1;
      for (const w of waiters.splice(0)) {
        if (have >= w.lines) w.resolve();
        else waiters.push(w);
      }
    });
    const linesOut = (lines: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line ${lines} after 30 s: ${stdout}`)), 30_000);
        waiters.push({
          lines,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      child.stdin.write('{"gold": "1/2", "pred": "0.5"}\n');
      await linesOut(1);
      child.stdin.write('{"gold": "1", "pred": "2"}\n');
      await linesOut(2);
      child.stdin.end();
      assert.equal(await exited, 0);
    } finally {
      child.kill();
    }
    assert.deepEqual(jsonLines(stdout), [{ equal: true }, { equal: false }]);
  });
});

describe("deliberate extract", () => {
  const texts = [
    "so 2+2 = 4, and the answer is \\boxed{4}.",
    "Natalia sold 48/2 = 24 clips in May.\n#### 72",
    "The final answer is $\\frac{1}{2}$. I hope it is correct.",
    "no number here",
    "#### 7 but later \\boxed{8}",
  ];
  const input = `${texts.map((text) => JSON.stringify({ text })).join("\n")}\n`;

  test("one {answer} per line with the default order", () => {
    const { code, stdout, stderr } = runCli(["extract"], input);
    assert.equal(code, 0, stderr);
    assert.deepEqual(jsonLines(stdout), [
      { answer: "4" },
      { answer: "72" },
      { answer: "\\frac{1}{2}" },
      { answer: null },
      { answer: "8" },
    ]);
  });

  test("--order picks and orders the extractors", () => {
    const gsmFirst = runCli(["extract", "--order", "gsm8k,boxed"], input);
    assert.equal(gsmFirst.code, 0, gsmFirst.stderr);
    const answers = (jsonLines(gsmFirst.stdout) as { answer: string | null }[]).map((o) => o.answer);
    assert.deepEqual(answers, ["4", "72", null, null, "7 but later \\boxed{8}"]);
    const lastNumber = runCli(["extract", "--order", "lastNumber"], input);
    assert.deepEqual(
      (jsonLines(lastNumber.stdout) as { answer: string | null }[]).map((o) => o.answer),
      ["4", "72", "2", null, "8"], // the last number of \frac{1}{2} is 2: why it is only a fallback
    );
  });

  test("an unknown extractor name is refused before reading input", () => {
    const { code, stderr } = runCli(["extract", "--order", "boxed,nope"], input);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /unknown extractor "nope" \(valid: boxed, gsm8k, minerva, answerIs, aColon, multipleChoice, choice, wholeAnswer, lastMath, lastNumber\)/,
    );
  });

  test("malformed lines give {error} and the rest go on", () => {
    const { code, stdout, stderr } = runCli(["extract"], '{"text": 5}\n{"txt": "a"}\n\n{"text": "A: 12"}\n');
    assert.equal(code, 0, stderr);
    const out = jsonLines(stdout) as Record<string, unknown>[];
    assert.equal(out.length, 4);
    assert.match(String(out[0]!.error), /^line 1: field "text" must be a string, got number/);
    assert.match(String(out[1]!.error), /^line 2: missing field "text"/);
    assert.match(String(out[2]!.error), /^line 3: blank line/);
    assert.deepEqual(out[3], { answer: "12" });
  });
});
