/** `deliberate eval` run as a child process, the way a user runs it. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { CLI_ENTRY } from "../helpers/cli.js";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, CLI_ENTRY);

/** How an eval process ended and what it printed. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `deliberate eval ARGS` from the repository root; `done` settles when the process closes. */
export function startEval(args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [cli, "eval", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<Exit>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `deliberate eval ARGS` to the end and asserts that it succeeded. */
export async function runEval(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await startEval(args).done;
  assert.equal(code, 0, `deliberate eval ${args.join(" ")} failed:\n${stderr}`);
  return { stdout, stderr };
}
