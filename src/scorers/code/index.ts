/** Code verification: sandboxed Python test runs (HumanEval, MBPP). */
export {
  pythonSandbox,
  type RunPythonOptions,
  type RunResult,
  type RunStatus,
  runPython,
  type SandboxInfo,
} from "./run-python.js";
export {
  type CodeProblem,
  CodeTestVerifier,
  type CodeTestVerifierOptions,
  type CodeVerdict,
  extractCodeBlock,
} from "./verifier.js";
