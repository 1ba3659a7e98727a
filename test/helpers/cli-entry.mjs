/**
 * Runs the CLI from source (`node test/helpers/cli-entry.mjs ARGS` is `deliberate ARGS`), with tsx
 * registered in-process instead of through `--import tsx`. The difference is this process's
 * execArgv, which child processes forked with the defaults inherit: node-llama-cpp checks its
 * prebuilt binary once per process in such a child, and with `--import tsx` that child loads tsx too,
 * which adds about 2 s to every CLI run that loads a model (docs/testing.md).
 */
import { register } from "tsx/esm/api";

register();
await import("../../src/cli/main.ts");
