#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { DeliberateError } from "../core/errors.js";
import type { ParameterInfo } from "../core/spec.js";
import { scorers } from "../scorers/registry.js";
import { strategies } from "../strategies/registry.js";
import { registerEval } from "./eval.js";
import { registerGrade } from "./grade.js";
import { registerReport } from "./report.js";
import { registerRun } from "./run.js";
import { registerServe } from "./serve.js";

const program = new Command()
  .name("deliberate")
  .description("Inference-time compute scaling: sample, vote, verify and search with any model.")
  .option("--debug", "print stack traces of errors")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

registerRun(program);
registerEval(program);
registerGrade(program);
registerServe(program);
registerReport(program);

program
  .command("strategies")
  .description("list strategies and their parameters")
  .action(() => printTable(strategies.list()));

program
  .command("scorers")
  .description("list scorers and their parameters")
  .action(() => printTable(scorers.list()));

/** Each definition with its parameters: `name=default` (or `name` when it has none), then the meaning. */
function printTable(
  rows: { name: string; aliases: string[]; description: string; parameters: ParameterInfo[] }[],
): void {
  const label = (p: ParameterInfo) => (p.default === undefined ? p.name : `${p.name}=${String(p.default)}`);
  const width = Math.max(...rows.flatMap((r) => r.parameters.map((p) => label(p).length)));
  for (const row of rows) {
    const aliases = row.aliases.length ? ` (${row.aliases.join(", ")})` : "";
    process.stdout.write(`${row.name}${aliases}: ${row.description}\n`);
    if (row.parameters.length === 0) process.stdout.write("    (no parameters)\n");
    for (const p of row.parameters) {
      const values = p.values ? ` (${p.values.join(" | ")})` : "";
      process.stdout.write(`    ${label(p).padEnd(width)}  ${p.description}${values}\n`);
    }
  }
}

// `deliberate strategies | head` closes stdout early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    process.exitCode = error.exitCode;
  } else {
    const debug = process.argv.includes("--debug");
    if (error instanceof DeliberateError && !debug) {
      process.stderr.write(`error: ${error.message}\n`);
    } else {
      process.stderr.write(
        `error: ${debug ? ((error as Error).stack ?? String(error)) : (error as Error).message}\n`,
      );
      if (!debug) process.stderr.write("(run with --debug for the stack trace)\n");
    }
    process.exitCode = 1;
  }
}
