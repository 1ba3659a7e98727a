import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { packageRoot } from "../../src/defaults.js";
import {
  dataDir,
  gsm8kGold,
  loadDataset,
  normalizeDatasetSpec,
  parseDatasetSpec,
  parseFieldMapping,
  parseWhere,
} from "../../src/eval/datasets/index.js";
import { createGrader } from "../../src/eval/grading.js";

describe("datasets", () => {
  test("data/ lives inside the package", () => {
    assert.equal(dataDir, join(packageRoot, "data"));
    assert.ok(!dataDir.includes("shared"));
  });

  test("every shipped split loads with the expected size", () => {
    const sizes: Record<string, number> = {
      "gsm8k:test": 1319,
      "math500:test": 500,
      "aime24:test": 30,
      "aime25:test": 30,
      "humaneval:test": 164,
      "mbpp:test": 257,
      "mbpp:validation": 43,
      "mbpp:train": 120,
      "mbpp:prompt": 7,
      "arith:test": 800,
    };
    for (const [spec, n] of Object.entries(sizes)) {
      const ds = loadDataset(spec);
      assert.equal(ds.problems.length, n, spec);
      const ids = new Set(ds.problems.map((p) => p.id));
      assert.equal(ids.size, n, `${spec}: ids are unique`);
      for (const p of ds.problems) {
        assert.ok(p.gold !== "", `${spec} ${p.id}: gold`);
        assert.ok(p.prompt !== "", `${spec} ${p.id}: prompt`);
      }
    }
  });

  test("math prompts ask for \\boxed{} and golds are clean", () => {
    const gsm = loadDataset("gsm8k:test:3");
    assert.equal(gsm.problems.length, 3);
    assert.equal(gsm.grading, "math");
    assert.equal(gsm.problems[0]!.gold, "18");
    const p = gsm.problems[0]!;
    assert.ok(typeof p.prompt !== "string" && p.prompt.messages[0]!.content.includes("\\boxed{}"));
    assert.ok(p.rawPrompt?.includes("Janet"));
    assert.equal(gsmGoldWithComma(), "1000000");
    const aime = loadDataset("aime24");
    assert.equal(aime.problems[0]!.id, "2024-I-1");
    assert.equal(aime.problems[0]!.gold, "204");
    const math = loadDataset("math500:test:1");
    assert.equal(math.problems[0]!.level, 2);
    assert.equal(math.problems[0]!.id, "test/precalculus/807.json");
  });

  test("code datasets carry their tests", () => {
    const he = loadDataset("humaneval:test:1").problems[0]!;
    assert.equal(he.id, "HumanEval/0");
    assert.equal(he.meta.entryPoint, "has_close_elements");
    assert.ok(String(he.meta.tests).includes("def check"));
    assert.ok(he.rawPrompt?.startsWith("from typing import List"));
    const mb = loadDataset("mbpp:test:1").problems[0]!;
    assert.equal(mb.id, "mbpp-11");
    assert.ok(Array.isArray(mb.meta.tests) && (mb.meta.tests as string[]).length >= 1);
    assert.ok(typeof mb.prompt !== "string" && mb.prompt.messages[0]!.content.includes("assert "));
  });

  test("arith: 8 levels, LIMIT per level, deterministic", () => {
    const a = loadDataset("arith:test:3");
    assert.equal(a.spec, "arith:test:3");
    assert.equal(a.grading, "arith");
    assert.equal(a.problems.length, 24);
    assert.deepEqual([...new Set(a.problems.map((p) => p.level))], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.match(a.problems[0]!.prompt as string, /^Q:\d+[+-]\d+\n$/);
    assert.deepEqual(
      loadDataset("arith:test:3").problems.map((p) => p.id),
      a.problems.map((p) => p.id),
    );
    assert.equal(loadDataset("arith:test").problems.length, 800);
  });

  test("--where filters by level (numeric) and by string fields, before the limit", () => {
    const l5 = loadDataset("math500:test", { where: [parseWhere("level=5")] });
    assert.equal(l5.problems.length, 134);
    assert.ok(l5.problems.every((p) => p.level === 5));
    const geo = loadDataset("math500:test:10", {
      where: [parseWhere("subject=Geometry"), parseWhere("level=5")],
    });
    assert.equal(geo.problems.length, 10);
    assert.ok(geo.problems.every((p) => p.meta.subject === "Geometry" && p.level === 5));
    const arith3 = loadDataset("arith:test:5", { where: [parseWhere("level=3")] });
    assert.equal(arith3.problems.length, 5);
    assert.ok(arith3.problems.every((p) => p.level === 3));
    assert.throws(
      () => loadDataset("math500", { where: [parseWhere("lvl=5")] }),
      /no problem has a field "lvl"/,
    );
    assert.throws(() => loadDataset("math500", { where: [parseWhere("level=9")] }), /no problems matching/);
    assert.throws(() => parseWhere("level"), ConfigError);
  });

  test("unknown datasets and splits list the valid ones", () => {
    assert.throws(
      () => parseDatasetSpec("nope:test"),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /unknown dataset "nope"/);
        assert.match(e.message, /gsm8k:test/);
        assert.match(e.message, /arith:test/);
        return true;
      },
    );
    assert.throws(() => parseDatasetSpec("gsm8k:train"), /not shipped.*valid: gsm8k:test/);
    assert.throws(() => parseDatasetSpec("mbpp:dev"), /valid: mbpp:prompt, mbpp:test/);
    assert.throws(() => parseDatasetSpec("gsm8k:test:0"), /invalid limit/);
    assert.equal(normalizeDatasetSpec("gsm8k"), "gsm8k:test");
    assert.equal(normalizeDatasetSpec("arith:test"), "arith:test:100");
  });

  test("file:PATH with a field mapping and a limit", () => {
    const dir = mkdtempSync(join(tmpdir(), "deliberate-ds-"));
    const file = join(dir, "mine.jsonl");
    const rows = [
      { q: "What is 2+2?", a: 4, difficulty: "easy", level: 1 },
      { q: "What is 3*3?", a: "9", difficulty: "hard", level: 2 },
      { q: "What is 10-1?", a: 9, difficulty: "hard", level: 2 },
    ];
    writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const ds = loadDataset(`file:${file}`, { fields: parseFieldMapping("prompt=q,gold=a") });
    assert.equal(ds.grading, "math");
    assert.equal(ds.problems.length, 3);
    assert.equal(ds.problems[0]!.gold, "4");
    assert.equal(ds.problems[0]!.rawPrompt, "What is 2+2?");
    assert.equal(ds.problems[0]!.level, 1);
    assert.equal(ds.problems[0]!.id, "line-1");
    const hard = loadDataset(`file:${file}:1`, {
      fields: parseFieldMapping("prompt=q,gold=a"),
      where: [parseWhere("difficulty=hard")],
    });
    assert.deepEqual(
      hard.problems.map((p) => p.gold),
      ["9"],
    );
    assert.throws(() => loadDataset(`file:${file}`), /no prompt field.*--field/);
    assert.throws(() => parseFieldMapping("question=q"), /invalid field mapping/);
    assert.throws(() => loadDataset(`file:${join(dir, "missing.jsonl")}`), /not found/);
  });

  test("graders: arith by integer equality, math by equivalence", async () => {
    const arith = createGrader("arith");
    const p = loadDataset("arith:test:1").problems[0]!;
    assert.deepEqual(await arith.grade(p, `x\nA:${p.gold}\n`), { answer: p.gold, correct: true });
    assert.equal((await arith.grade(p, `A:${Number(p.gold) + 1}\n`)).correct, false);
    assert.equal((await arith.grade(p, "no answer")).answer, null);
    const math = createGrader("math");
    const g = loadDataset("gsm8k:test:1").problems[0]!;
    assert.equal((await math.grade(g, "so she makes \\boxed{18.0} dollars")).correct, true);
    assert.equal((await math.grade(g, "\\boxed{17}")).correct, false);
  });

  test("graders: code datasets pass their reference solutions, fail wrong ones", async () => {
    const code = createGrader("code", { codeTimeoutMs: 20000 });
    const he = loadDataset("humaneval:test:1").problems[0]!;
    const ok = await code.grade(he, he.gold);
    assert.deepEqual([ok.correct, ok.detail], [true, "passed"]);
    assert.equal((await code.grade(he, "    return False\n")).correct, false);
    const mb = loadDataset("mbpp:test:1").problems[0]!;
    assert.equal((await code.grade(mb, `\`\`\`python\n${mb.gold}\n\`\`\``)).correct, true);
    assert.deepEqual(await code.grade(mb, "  "), { answer: null, correct: false, detail: "empty" });
  });
});

function gsmGoldWithComma(): string {
  return gsm8kGold("step\n#### 1,000,000");
}
