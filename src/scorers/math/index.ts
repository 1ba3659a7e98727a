/** Math answer grading: extraction, equivalence and the grader that combines them. */
export { GRADING_CONVENTIONS, type GradingConvention } from "./conventions.js";
export {
  type MathEqualOptions,
  type MathEqualReason,
  type MathEqualResult,
  mathEqual,
  mathEqualDetailed,
} from "./equivalence.js";
export {
  type AnswerExtractorName,
  cutAtEndOfTurn,
  DEFAULT_EXTRACTION_ORDER,
  EXTRACTORS,
  extractALine,
  extractAnswer,
  extractAnswerIs,
  extractBoxed,
  extractChoice,
  extractGsm8k,
  extractLastMath,
  extractLastNumber,
  extractMinerva,
  extractMultipleChoice,
  extractWholeAnswer,
} from "./extract.js";
export {
  goldChoiceLetter,
  MathAnswerGrader,
  type MathAnswerGraderOptions,
  type MathGrade,
  type MultipleChoiceMode,
} from "./grader.js";
export { type NormalizedAnswer, normalizeAnswer } from "./normalize.js";
