import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `node` arguments that run the CLI from source (see cli-entry.mjs), followed by the CLI's own. */
export const CLI_ENTRY = "test/helpers/cli-entry.mjs";

/** Runs the CLI from source, as `deliberate ARGS`, and returns its exit code and output. */
export function runCli(
  args: string[],
  input?: string,
  env?: Record<string, string>,
): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd: root,
    encoding: "utf8",
    input,
    env: env ? { ...process.env, ...env } : process.env,
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
