/**
 * `deliberate report`: report.html (plots), report.json and report.csv of a run directory, computed
 * from the run directory alone (its store, and summary.json for the model id when present).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../../core/errors.js";
import type { RunModelShape } from "../model-shape.js";
import { RunStore, STORE_FILE } from "../store.js";
import type { EvalSummary } from "../summary.js";
import { reportCsv } from "./csv.js";
import { buildReportData, type ReportData } from "./data.js";
import { buildFrontier } from "./frontier.js";
import { plotNames, reportHtml } from "./html.js";

export { CSV_COLUMNS, csvField, reportCsv } from "./csv.js";
export {
  buildReportData,
  type CoverageFit,
  type MatchedRow,
  type MatchedValue,
  type PoolSeries,
  REPORT_VERSION,
  type ReportData,
  type ReportDataOptions,
  type ReportGroup,
  type ReportPoint,
} from "./data.js";
export { type AllocationFrontier, buildFrontier } from "./frontier.js";
export { plotNames, reportHtml, reportLibraries } from "./html.js";

/** File names a report writes into the run directory. */
export const REPORT_FILES = { html: "report.html", json: "report.json", csv: "report.csv" } as const;

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** Bootstrap resamples (default 1000, as `deliberate eval`). */
  resamples?: number;
  /** Timestamp to record (default now). */
  now?: Date;
  /** Model shape of the cost figures instead of the one the run recorded. */
  modelShape?: RunModelShape;
  /** Allocation policy files to draw on the allocation frontier (checked against the run's model and task). */
  policies?: string[];
}

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  data: ReportData;
  files: { html: string; json: string; csv: string };
  /** The plots the page draws. */
  plots: string[];
}

/**
 * Reads the run in `dir` and writes report.html, report.json and report.csv next to its store.
 *
 * @throws ConfigError when `dir` holds no run store.
 */
export function writeReport(dir: string, options: WriteReportOptions = {}): WrittenReport {
  const root = resolve(dir);
  if (!RunStore.exists(root)) {
    throw new ConfigError(`${root} is not a run directory (${STORE_FILE} is missing)`, {
      hint: "pass the --out directory of a `deliberate eval` run",
    });
  }
  const store = RunStore.open(root);
  let data: ReportData;
  try {
    const modelId = summaryModelId(root);
    data = buildReportData(store, {
      dir: root,
      ...(modelId ? { modelId } : {}),
      ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.modelShape ? { modelShape: options.modelShape } : {}),
    });
  } finally {
    store.close();
  }
  if (options.policies && options.policies.length > 0) {
    data.frontier = buildFrontier(root, options.policies, options.resamples ?? 1000);
  }
  const files = {
    html: join(root, REPORT_FILES.html),
    json: join(root, REPORT_FILES.json),
    csv: join(root, REPORT_FILES.csv),
  };
  writeFileSync(files.json, `${JSON.stringify(data, null, 2)}\n`);
  writeFileSync(files.csv, reportCsv(data));
  writeFileSync(files.html, reportHtml(data));
  return { data, files, plots: plotNames(data) };
}

/** The model id the backend reported, from summary.json (absent for runs that never finished). */
function summaryModelId(dir: string): string | undefined {
  const file = join(dir, "summary.json");
  if (!existsSync(file)) return undefined;
  try {
    const summary = JSON.parse(readFileSync(file, "utf8")) as Partial<EvalSummary>;
    return typeof summary.model?.id === "string" ? summary.model.id : undefined;
  } catch {
    return undefined; // a damaged summary.json only costs the model id
  }
}
