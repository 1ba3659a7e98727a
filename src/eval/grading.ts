/**
 * Grading of evaluation outputs by dataset kind: arith by exact integer equality of the `A:` answer,
 * math (GSM8K, MATH, AIME, user files) by `mathEqual` on the extracted answer, code (HumanEval, MBPP)
 * by running the problem's tests.
 */
import type { AnswerEquivalence, AnswerExtractor } from "../core/scorer.js";
import type { CompleteSolutionTest } from "../core/strategy.js";
import { CodeTestVerifier } from "../scorers/code/index.js";
import { extractCodeBlock } from "../scorers/code/verifier.js";
import { MathAnswerGrader, type MathAnswerGraderOptions } from "../scorers/math/index.js";
import { extractArithAnswer, statesArithAnswer } from "../tasks/arith/index.js";
import { closesCodeBlock, statesMathAnswer } from "../tasks/completion.js";
import type { EvalProblem, GradingKind } from "./datasets/types.js";

/** The grade of one output. */
export interface Grade {
  /** The extracted answer (for code: the program), null when there is none. */
  answer: string | null;
  correct: boolean;
  /** Detail from the grader, e.g. the code run's status (`passed`, `failed`, `timeout`, …). */
  detail?: string;
}

/** Extracts, compares and grades outputs of one grading kind. */
export interface Grader {
  readonly kind: GradingKind;
  /** Answer extraction; also given to strategies for voting. */
  readonly extractAnswer: AnswerExtractor;
  /** Answer equivalence; also given to strategies and to maj@k. */
  readonly sameAnswer: AnswerEquivalence;
  /** When a solution is complete, given to strategies: step-level search ends solutions there. */
  readonly isCompleteSolution: CompleteSolutionTest;
  /** Grades a whole output text against the problem's gold answer or tests. */
  grade(problem: EvalProblem, text: string): Promise<Grade>;
}

/** Options of {@link createGrader}. */
export interface GraderOptions {
  /** Per-run time limit of code tests (default 10000 ms). */
  codeTimeoutMs?: number;
  /** Code test runs at once (default: CPU cores). */
  codeConcurrency?: number;
  /**
   * Math grading (extraction order, conventions switched off, tolerance, multiple choice); see
   * `datasetMathGrading` for the built-in datasets' settings. Ignored for arith and code.
   */
  math?: MathAnswerGraderOptions;
}

/** Integer equality of two decimal integer strings (no float rounding, any size). */
function sameInteger(a: string, b: string): boolean {
  const re = /^\s*[+-]?\d+\s*$/;
  if (!re.test(a) || !re.test(b)) return false;
  try {
    return BigInt(a.trim()) === BigInt(b.trim());
  } catch {
    return false;
  }
}

function arithGrader(): Grader {
  return {
    kind: "arith",
    extractAnswer: extractArithAnswer,
    sameAnswer: sameInteger,
    isCompleteSolution: statesArithAnswer,
    async grade(problem, text) {
      const answer = extractArithAnswer(text);
      return { answer, correct: answer !== null && sameInteger(problem.gold, answer) };
    },
  };
}

function mathGrader(options: MathAnswerGraderOptions): Grader {
  const math = new MathAnswerGrader(options);
  return {
    kind: "math",
    // Voting has no gold: the dataset's extraction (choice letters only when it says `always`).
    extractAnswer: (text) => math.extract(text),
    sameAnswer: (a, b) => math.equal(a, b),
    isCompleteSolution: statesMathAnswer,
    async grade(problem, text) {
      // With the gold at hand a choice gold reads a choice letter (multipleChoice `auto`).
      const { correct, extracted } = math.grade(problem.gold, text);
      return { answer: extracted, correct };
    },
  };
}

function codeGrader(options: GraderOptions): Grader {
  const verifier = new CodeTestVerifier({
    ...(options.codeTimeoutMs !== undefined ? { timeoutMs: options.codeTimeoutMs } : {}),
    ...(options.codeConcurrency !== undefined ? { concurrency: options.codeConcurrency } : {}),
  });
  const extract: AnswerExtractor = (text) => {
    const code = extractCodeBlock(text).trim();
    return code === "" ? null : code;
  };
  return {
    kind: "code",
    extractAnswer: extract,
    sameAnswer: (a, b) => a.trim() === b.trim(),
    isCompleteSolution: closesCodeBlock,
    async grade(problem, text) {
      const answer = extract(text);
      if (answer === null) return { answer, correct: false, detail: "empty" };
      const meta = problem.meta;
      const tests = meta.tests as string | string[] | undefined;
      if (tests === undefined) return { answer, correct: false, detail: "no tests" };
      const verdict = await verifier.verify(
        {
          ...(typeof meta.code === "string" ? { code: meta.code } : {}),
          tests,
          ...(typeof meta.entryPoint === "string" ? { entryPoint: meta.entryPoint } : {}),
          ...(Array.isArray(meta.imports) ? { imports: meta.imports as string[] } : {}),
        },
        text,
      );
      return { answer, correct: verdict.correct, detail: verdict.status };
    },
  };
}

/** The grader of a dataset kind. */
export function createGrader(kind: GradingKind, options: GraderOptions = {}): Grader {
  if (kind === "code") return codeGrader(options);
  return kind === "arith" ? arithGrader() : mathGrader(options.math ?? {});
}
