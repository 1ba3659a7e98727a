/**
 * Loaders of the datasets shipped in `data/` (see data/README.md for sources and licences) and of the
 * synthetic arithmetic task. Each turns source rows into {@link EvalProblem}s with a prompt that asks
 * for the answer in the form its grader reads.
 */
import { join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { type ArithSplit, formatArithPrompt, generateArithSplit } from "../../tasks/arith/index.js";
import { readJsonl, stringField } from "./files.js";
import type { EvalProblem, GradingKind } from "./types.js";

/** Instruction appended to math questions: the graders read the last `\boxed{}`. */
export const BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}.";

/** A built-in dataset: its splits and how to load one. */
export interface BuiltinDataset {
  name: string;
  description: string;
  grading: GradingKind;
  splits: readonly string[];
  /**
   * Loads a split. `limit` is passed only to generated datasets (arith: problems per level); file
   * datasets are cut after filtering by the caller.
   */
  load(split: string, dataDir: string, limit?: number): EvalProblem[];
}

/** A math word problem as chat messages plus the same text for base models. */
function mathPrompt(question: string): Pick<EvalProblem, "prompt" | "rawPrompt"> {
  const text = `${question.trim()}\n\n${BOXED_INSTRUCTION}`;
  return { prompt: { messages: [{ role: "user", content: text }] }, rawPrompt: `${text}\n` };
}

/** GSM8K's gold: the text after the last `####`, thousands separators removed. */
export function gsm8kGold(answer: string): string {
  const idx = answer.lastIndexOf("####");
  if (idx < 0) throw new ConfigError(`GSM8K answer without "####": ${JSON.stringify(answer.slice(-80))}`);
  return answer
    .slice(idx + 4)
    .trim()
    .replace(/,/g, "");
}

const gsm8k: BuiltinDataset = {
  name: "gsm8k",
  description: "GSM8K grade-school math word problems (1319 test; train not shipped)",
  grading: "math",
  splits: ["test"],
  load(split, dir) {
    const file = join(dir, "gsm8k", `${split}.jsonl`);
    return readJsonl(file).map((row, i) => {
      const where = `${file}:${i + 1}`;
      const answer = stringField(row, "answer", where);
      return {
        id: `gsm8k-${split}-${i}`,
        ...mathPrompt(stringField(row, "question", where)),
        gold: gsm8kGold(answer),
        meta: { solution: answer },
      };
    });
  },
};

const math500: BuiltinDataset = {
  name: "math500",
  description: "MATH-500 competition math (500 test, levels 1-5)",
  grading: "math",
  splits: ["test"],
  load(split, dir) {
    const file = join(dir, "math500", `${split}.jsonl`);
    return readJsonl(file).map((row, i) => {
      const where = `${file}:${i + 1}`;
      const level = Number(row.level);
      return {
        id: stringField(row, "unique_id", where),
        ...mathPrompt(stringField(row, "problem", where)),
        gold: stringField(row, "answer", where),
        ...(Number.isInteger(level) ? { level } : {}),
        meta: { subject: row.subject, solution: row.solution },
      };
    });
  },
};

function aime(year: "24" | "25"): BuiltinDataset {
  return {
    name: `aime${year}`,
    description: `AIME 20${year} I and II (30 test, integer answers 0-999)`,
    grading: "math",
    splits: ["test"],
    load(split, dir) {
      const file = join(dir, `aime${year}`, `${split}.jsonl`);
      return readJsonl(file).map((row, i) => {
        const where = `${file}:${i + 1}`;
        return {
          id: stringField(row, "id", where),
          ...mathPrompt(stringField(row, "problem", where)),
          gold: stringField(row, "answer", where),
          meta: row.url !== undefined ? { url: row.url } : {},
        };
      });
    },
  };
}

const humaneval: BuiltinDataset = {
  name: "humaneval",
  description: "HumanEval Python function completion (164 test), graded by running its tests",
  grading: "code",
  splits: ["test"],
  load(split, dir) {
    const file = join(dir, "humaneval", "HumanEval.jsonl");
    return readJsonl(file).map((row, i) => {
      const where = `${file}:${i + 1}`;
      const code = stringField(row, "prompt", where);
      const content =
        "Complete the following Python function. Reply with the whole function in one ```python code block.\n\n" +
        `\`\`\`python\n${code}\`\`\``;
      return {
        id: stringField(row, "task_id", where),
        prompt: { messages: [{ role: "user", content }] },
        rawPrompt: code,
        gold: stringField(row, "canonical_solution", where),
        meta: {
          split,
          code,
          tests: stringField(row, "test", where),
          entryPoint: stringField(row, "entry_point", where),
        },
      };
    });
  },
};

/** MBPP's conventional splits by task id (Austin et al. 2021), inherited by the sanitized subset. */
const MBPP_SPLITS: Record<string, readonly [number, number]> = {
  prompt: [1, 10],
  test: [11, 510],
  validation: [511, 600],
  train: [601, 974],
};

const mbpp: BuiltinDataset = {
  name: "mbpp",
  description: "MBPP sanitized Python tasks (257 test, 43 validation, 120 train, 7 prompt)",
  grading: "code",
  splits: Object.keys(MBPP_SPLITS),
  load(split, dir) {
    const file = join(dir, "mbpp", "sanitized-mbpp.jsonl");
    const [lo, hi] = MBPP_SPLITS[split]!;
    return readJsonl(file)
      .filter((row) => Number(row.task_id) >= lo && Number(row.task_id) <= hi)
      .map((row) => {
        const where = `${file} task ${String(row.task_id)}`;
        const text = stringField(row, "prompt", where).trim();
        const tests = Array.isArray(row.test_list) ? row.test_list.map(String) : [];
        if (tests.length === 0) throw new ConfigError(`${where}: no test_list`);
        const imports = Array.isArray(row.test_imports) ? row.test_imports.map(String) : [];
        const content =
          `You are an expert Python programmer, and here is your task: ${text} ` +
          `Your code should pass this test:\n\n${tests[0]}\n\nReply with the code in one \`\`\`python code block.`;
        return {
          id: `mbpp-${String(row.task_id)}`,
          prompt: { messages: [{ role: "user" as const, content }] },
          rawPrompt: `"""\n${text}\n${tests[0]}\n"""\n`,
          gold: stringField(row, "code", where),
          meta: { taskId: row.task_id, tests, imports },
        };
      });
  },
};

/** Problems per level of `arith:SPLIT` when the spec gives no limit. */
export const ARITH_DEFAULT_PER_LEVEL = 100;

const arith: BuiltinDataset = {
  name: "arith",
  description: "synthetic step-by-step arithmetic of the embedded models (levels 1-8; LIMIT = per level)",
  grading: "arith",
  splits: ["test", "validation", "train"],
  load(split, _dir, limit) {
    const perLevel = limit ?? ARITH_DEFAULT_PER_LEVEL;
    const problems: EvalProblem[] = [];
    for (let level = 1; level <= 8; level++) {
      let generated: ReturnType<typeof generateArithSplit>;
      try {
        generated = generateArithSplit(split as ArithSplit, level, perLevel);
      } catch (cause) {
        throw new ConfigError(`arith:${split}: ${(cause as Error).message}`, {
          hint: "ask for fewer problems per level",
          cause,
        });
      }
      for (const p of generated) {
        problems.push({
          id: p.id,
          prompt: formatArithPrompt(p),
          gold: String(p.answer),
          level,
          meta: { question: p.question },
        });
      }
    }
    return problems;
  },
};

/** The built-in datasets by name. */
export const BUILTIN_DATASETS: Readonly<Record<string, BuiltinDataset>> = {
  gsm8k,
  math500,
  aime24: aime("24"),
  aime25: aime("25"),
  humaneval,
  mbpp,
  arith,
};
