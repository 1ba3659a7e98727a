/** Math answer grading: extraction, equivalence and the grader that combines them. */
export {
  type MathEqualOptions,
  type MathEqualReason,
  type MathEqualResult,
  mathEqual,
  mathEqualDetailed,
} from "./equivalence.js";
export {
  type AnswerExtractorName,
  DEFAULT_EXTRACTION_ORDER,
  EXTRACTORS,
  extractALine,
  extractAnswer,
  extractAnswerIs,
  extractBoxed,
  extractGsm8k,
  extractLastNumber,
  extractMultipleChoice,
} from "./extract.js";
export { MathAnswerGrader, type MathAnswerGraderOptions, type MathGrade } from "./grader.js";
export { type NormalizedAnswer, normalizeAnswer } from "./normalize.js";
