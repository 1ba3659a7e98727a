/**
 * The synthetic step-by-step arithmetic task: the single definition used to generate training data
 * for the embedded models, to evaluate them, and to verify their steps exactly.
 */
export { arithSolutionSteps, formatArithPrompt, formatArithSolution, parseArithQuestion } from "./format.js";
export { ArithRng } from "./prng.js";
export {
  ARITH_LIMITS,
  type ArithOp,
  type ArithProblem,
  type ArithSplit,
  arithSplitOf,
  generateArithProblem,
  generateArithSplit,
} from "./problem.js";
export {
  type ArithStepVerdict,
  type ArithVerdict,
  extractArithAnswer,
  splitArithSteps,
  statesArithAnswer,
  verifyArithSolution,
  verifyArithSteps,
} from "./verify.js";
