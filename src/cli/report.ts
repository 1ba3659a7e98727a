import type { Command } from "commander";
import type { ModelShape } from "../eval/metrics/flops.js";
import { writeReport } from "../eval/report/index.js";
import { intArg, MODEL_SHAPE_HELP, modelShapeArg } from "./parse.js";

/** `deliberate report RUN_DIR`: report.html (plots), report.json and report.csv of an eval run. */
export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "write report.html (plots), report.json and report.csv for a `deliberate eval` run directory",
    )
    .argument("<run-dir>", "the run directory (--out of deliberate eval)")
    .option("--resamples <n>", "bootstrap resamples of the CIs (default 1000, as eval)", intArg(2, 1_000_000))
    .option(
      "--model-shape <shape>",
      `${MODEL_SHAPE_HELP}; here it replaces the run's for this report`,
      modelShapeArg,
    )
    .option(
      "--policy <file>",
      "allocation policy (deliberate tune) to draw on the allocation frontier beside every fixed strategy (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action((dir: string, flags: { resamples?: number; modelShape?: ModelShape; policy: string[] }) => {
      const report = writeReport(dir, {
        ...(flags.resamples !== undefined ? { resamples: flags.resamples } : {}),
        ...(flags.modelShape ? { modelShape: { ...flags.modelShape, source: "user" as const } } : {}),
        ...(flags.policy.length > 0 ? { policies: flags.policy } : {}),
      });
      const { html, json, csv } = report.files;
      process.stdout.write(`${html}\n${json}\n${csv}\n`);
      process.stderr.write(
        `report of ${report.data.run.dataset} (${report.data.run.problems.completed}/${report.data.run.problems.total} problems): ` +
          `${report.plots.length} plots\n`,
      );
    });
}
