#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { DeliberateError } from "../core/errors.js";
import type { ParameterInfo } from "../core/spec.js";

const program = new Command()
  .name("deliberate")
  .description("Inference-time compute scaling: sample, vote, verify and search with any model.")
  .option("--debug", "print stack traces of errors")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

/**
 * The subcommands by name, in help order, each with the module that registers it. A command's module
 * is loaded only when that command runs (or for the full help): loading every command's dependencies
 * (llama.cpp bindings, the server, SQLite, the plotting libraries) took about 2 s of CPU at each start,
 * against about 0.6 s for `grade` alone.
 */
const commands: [string[], () => Promise<(program: Command) => void>][] = [
  [["run"], async () => (await import("./run.js")).registerRun],
  [["eval"], async () => (await import("./eval.js")).registerEval],
  [["grade", "extract"], async () => (await import("./grade.js")).registerGrade],
  [["serve"], async () => (await import("./serve.js")).registerServe],
  [["report"], async () => (await import("./report.js")).registerReport],
  [["tune"], async () => (await import("./tune.js")).registerTune],
  [["strategies", "scorers"], async () => registerLists],
];

function registerLists(program: Command): void {
  program
    .command("strategies")
    .description("list strategies, each parameter with its default and meaning")
    .action(async () => printTable((await import("../strategies/registry.js")).strategies.list()));
  program
    .command("scorers")
    .description("list scorers, each parameter with its default and meaning")
    .action(async () => printTable((await import("../scorers/registry.js")).scorers.list()));
}

/** The command line's subcommand (its first word that is not an option), or undefined. */
const named = process.argv.slice(2).find((arg) => !arg.startsWith("-"));
const chosen = commands.find(([names]) => named !== undefined && names.includes(named));
for (const [, load] of chosen ? [chosen] : commands) (await load())(program);

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
