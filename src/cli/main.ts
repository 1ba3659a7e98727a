#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { DeliberateError } from "../core/errors.js";
import { scorers } from "../scorers/registry.js";
import { strategies } from "../strategies/registry.js";
import { registerEval } from "./eval.js";
import { registerGrade } from "./grade.js";
import { registerReport } from "./report.js";
import { registerRun } from "./run.js";
import { registerServe } from "./serve.js";
import { registerTune } from "./tune.js";

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
registerTune(program);

program
  .command("strategies")
  .description("list strategies and their parameters")
  .action(() => printTable(strategies.list()));

program
  .command("scorers")
  .description("list scorers and their parameters")
  .action(() => printTable(scorers.list()));

function printTable(
  rows: { name: string; aliases: string[]; description: string; params: string[] }[],
): void {
  for (const row of rows) {
    const aliases = row.aliases.length ? ` (${row.aliases.join(", ")})` : "";
    process.stdout.write(
      `${row.name}${aliases}: ${row.description}\n    params: ${row.params.join(", ") || "none"}\n`,
    );
  }
}

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
