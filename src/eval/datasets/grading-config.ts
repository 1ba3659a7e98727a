/**
 * Per-dataset math grading: how each built-in dataset's outputs are extracted and compared. A dataset
 * switches a convention off here (`equivalence.conventions`), picks its extraction order, or says
 * whether letters are multiple-choice answers. See docs/evaluation.md ("Grading").
 */
import type { MathAnswerGraderOptions } from "../../scorers/math/grader.js";
import { parseDatasetSpec } from "./index.js";

/** Math grading options of the built-in datasets; absent = the defaults. */
export const DATASET_MATH_GRADING: Readonly<Record<string, MathAnswerGraderOptions>> = {
  // Integer answers only: a letter in an output is never a choice.
  gsm8k: { multipleChoice: "never" },
  aime24: { multipleChoice: "never" },
  aime25: { multipleChoice: "never" },
  // MATH-500 has a few choice answers (`\text{(C)}`): read letters when the gold is one (the default).
  math500: {},
};

/** The math grading options of a dataset spec (`gsm8k:test:20` → GSM8K's), `{}` when it has none. */
export function datasetMathGrading(spec: string): MathAnswerGraderOptions {
  let name: string;
  try {
    name = parseDatasetSpec(spec).name;
  } catch {
    return {};
  }
  return DATASET_MATH_GRADING[name] ?? {};
}
