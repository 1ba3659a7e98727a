/**
 * report.html: one self-contained page (no network at view time) with the run's plots drawn in the
 * browser by Observable Plot. d3 and Plot's minified UMD bundles are inlined from node_modules, the
 * report data is embedded as JSON, and the tables are rendered here as static HTML.
 * See docs/dependencies-report.md for why Observable Plot.
 */

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { CLIENT_SCRIPT } from "./client.js";
import type { ReportData, ReportGroup, ReportPoint } from "./data.js";
import type { AllocationFrontier } from "./frontier.js";

/** An inlined script library. */
interface Library {
  name: string;
  version: string;
  code: string;
}

let libraries: Library[] | undefined;

/** The directory of an installed package (its exports map hides package.json and dist/ from resolve). */
function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch (cause) {
    throw new ConfigError(`the report needs the package ${name}, which is not installed`, {
      hint: "reinstall deliberate's dependencies (npm install)",
      cause,
    });
  }
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === name
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new ConfigError(`cannot find the directory of the package ${name}`);
  }
}

/** d3 and Observable Plot, minified UMD builds (Plot's UMD build uses the global `d3`). */
export function reportLibraries(): Library[] {
  if (libraries) return libraries;
  const load = (name: string, file: string): Library => {
    const dir = packageDir(name);
    const version = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string })
      .version;
    return { name, version, code: readFileSync(join(dir, file), "utf8") };
  };
  libraries = [load("d3", "dist/d3.min.js"), load("@observablehq/plot", "dist/plot.umd.min.js")];
  return libraries;
}

/** True when some point of the group has FLOPs (the run has a model shape). */
function hasFlops(group: ReportGroup): boolean {
  return group.points.some((p) => p.compute?.flops !== null && p.compute?.flops !== undefined);
}

/** The plot containers the page has for `data`, in page order (the client fills each one). */
export function plotNames(data: ReportData): string[] {
  const all = data.groups.find((g) => g.level === null);
  if (!all) return [];
  const levels = data.groups.filter((g) => g.level !== null);
  const names = ["budget"];
  if (hasFlops(all)) names.push("compute");
  if (all.coverage.length > 0) names.push("coverage");
  for (const g of levels) names.push(`budget-level-${g.level}`);
  if (levels.length > 0 && levels.some((g) => g.coverage.length > 0)) names.push("coverage-levels");
  if (data.frontier) names.push("frontier");
  return names;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** Text inside `<script>`: `</script` and `<!--` must not appear in it. */
function scriptText(code: string): string {
  return code.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

const fmt3 = (x: number | null | undefined): string => (x === null || x === undefined ? "–" : x.toFixed(3));
const fmt1 = (x: number | null | undefined): string => (x === null || x === undefined ? "–" : x.toFixed(1));
const fmtE = (x: number | null | undefined): string =>
  x === null || x === undefined ? "–" : x.toExponential(2).replace("e+", "e");

const POOL_LABEL: Record<string, string> = {
  majority: "majority vote",
  "best-of-n": "best-of-n",
  "weighted-majority": "weighted majority",
  coverage: "coverage",
};

function kindLabel(p: ReportPoint): string {
  if (p.kind === "strategy") return "strategy";
  if (p.k === 1) return "one pool sample (every pool curve at k = 1)";
  return POOL_LABEL[p.kind] ?? p.kind;
}

function pointsTable(group: ReportGroup): string {
  const rows = [...group.points.filter((p) => p.kind === "strategy" || (p.k ?? 1) > 1), ...group.coverage];
  // pass@1 once (it starts every pool curve).
  const pass1 = group.coverage[0];
  const body = [
    ...rows.filter((p) => p.kind === "strategy"),
    ...(pass1 ? [{ ...pass1, name: "pass@1" }] : []),
    ...rows.filter((p) => p.kind !== "strategy"),
  ]
    .filter((p, i, all) => all.findIndex((q) => q.name === p.name) === i)
    .map(
      (p: ReportPoint) =>
        `<tr><td>${escapeHtml(p.name)}</td><td>${escapeHtml(kindLabel(p))}</td>` +
        `<td class="num">${fmt3(p.value)}</td><td class="num">[${fmt3(p.ci[0])}, ${fmt3(p.ci[1])}]</td>` +
        `<td class="num">${fmt1(p.tokensPerProblem)}</td><td class="num">${fmt1(p.samplesPerProblem)}</td>` +
        `<td class="num">${fmtE(p.compute?.flops)}</td><td class="num">${fmtE(p.compute?.eflops)}</td></tr>`,
    )
    .join("\n");
  return (
    `<table><thead><tr><th>metric</th><th>kind</th><th>accuracy</th><th>95% CI</th>` +
    `<th>tokens/problem</th><th>samples/problem</th><th>FLOPs/problem</th><th>eFLOPs/problem</th></tr></thead>` +
    `<tbody>\n${body}\n</tbody></table>`
  );
}

function matchedTable(group: ReportGroup): string {
  if (group.matched.length === 0) return "";
  const series = [...new Set(group.matched.flatMap((m) => m.pool.map((p) => p.series)))];
  if (series.length === 0) return "";
  const head = series.map((s) => `<th>${escapeHtml(POOL_LABEL[s] ?? s)}</th>`).join("");
  const body = group.matched
    .map((m) => {
      const cells = series
        .map((s) => {
          const v = m.pool.find((p) => p.series === s);
          const k =
            v?.k !== null && v?.k !== undefined ? ` <span class="muted">(k≈${v.k.toFixed(1)})</span>` : "";
          return `<td class="num">${v?.value !== null && v?.value !== undefined ? fmt3(v.value) : "outside the curve"}${k}</td>`;
        })
        .join("");
      return (
        `<tr><td>${escapeHtml(m.strategy)}</td><td class="num">${fmt1(m.tokensPerProblem)}</td>` +
        `<td class="num">${fmt3(m.value)} <span class="muted">[${fmt3(m.ci[0])}, ${fmt3(m.ci[1])}]</span></td>${cells}</tr>`
      );
    })
    .join("\n");
  return (
    `<h3>At matched budget</h3><p class="note">Each strategy against the pool methods read off their curves at the ` +
    `strategy's mean generated tokens (linear interpolation in log tokens between the two k around it; a budget up to 5% beyond an end of a curve reads that end).</p>` +
    `<table><thead><tr><th>strategy</th><th>tokens/problem</th><th>strategy accuracy</th>${head}</tr></thead>` +
    `<tbody>\n${body}\n</tbody></table>`
  );
}

function fitText(group: ReportGroup): string {
  const fit = group.coverageFit;
  if (fit) {
    return (
      `c(k) ≈ exp(a·k<sup>b</sup>) with a = ${fit.a.toFixed(4)}, b = ${fit.b.toFixed(4)}, ` +
      `R² = ${fit.r2.toFixed(3)} (${fit.points} points with 0 &lt; coverage &lt; 1)`
    );
  }
  return `no fit: ${escapeHtml(group.coverageFitError ?? "not enough points")}`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto; max-width: 1080px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 32px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; } .meta, .note, .muted { color: #666; } .note { max-width: 820px; }
.warn { background: #fff4d6; border: 1px solid #e8c66a; padding: 6px 10px; border-radius: 4px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; } th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }
th { font-weight: 600; border-bottom: 1px solid #ccc; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart { margin: 8px 0; min-height: 40px; } .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 8px 16px; }
.grid figure { margin: 0; } .grid figcaption { font-weight: 600; font-size: 13px; } details { margin: 6px 0; } summary { cursor: pointer; }
select { font: inherit; } footer { margin-top: 40px; color: #888; font-size: 12px; }
`;

/** The accuracy-vs-FLOPs section, or a note saying why there are no FLOPs. */
function computeSection(data: ReportData, plotted: boolean): string {
  const { shape, intensity, batchSize } = data.run.cost;
  const head = `<section><h2>Accuracy vs compute (FLOPs)</h2>`;
  if (!shape || !plotted) {
    return (
      `${head}<p class="note">No FLOPs: the model's shape is unknown (a server model). Give it with ` +
      `<code>--model-shape params=…,layers=…,dModel=…,kvDim=…,bytesPerParam=…</code> on ` +
      `<code>deliberate eval</code> or <code>deliberate report</code>.</p></section>`
    );
  }
  const from = shape.source === "gguf" ? "the GGUF metadata" : "--model-shape";
  return (
    `${head}<p class="note">The same points priced in FLOPs per problem: dense 2·params·tokens plus attention ` +
    `layers·dModel·T(T+1) for each sequence of T tokens, every sequence paying its whole prompt. eFLOPs add memory ` +
    `traffic in the spirit of Kinetics: FLOPs + ${intensity} FLOPs/byte × bytes read (weights once per decoded token ` +
    `with ${batchSize} sequence${batchSize === 1 ? "" : "s"} per batch, plus each token's K/V cache). Model shape from ${escapeHtml(from)}: ` +
    `${shape.params.toLocaleString("en-US")} params, ${shape.layers} layers, dModel ${shape.dModel}, kvDim ${shape.kvDim}, ` +
    `${shape.bytesPerParam.toFixed(3)} bytes/param. Scorer compute is not included.</p>` +
    `<label>x axis <select id="cost-view"><option value="flops" selected>FLOPs per problem</option>` +
    `<option value="eflops">eFLOPs per problem (memory-traffic-aware)</option></select></label>` +
    `<div class="chart" data-plot="compute"></div></section>`
  );
}

/** The allocation frontier: the plot and its table. */
function frontierSection(frontier: AllocationFrontier): string {
  const kindText = { fixed: "fixed", policy: "tuned policy", oracle: "oracle ceiling" } as const;
  const rows = [...frontier.points]
    .sort((a, b) => a.tokens - b.tokens)
    .map(
      (p) =>
        `<tr><td>${kindText[p.kind]}</td><td>${escapeHtml(p.name)}</td><td class="num">${fmt1(p.tokens)}</td>` +
        `<td class="num">${(100 * p.accuracy).toFixed(1)}</td><td class="num">${(100 * p.ci[0]).toFixed(1)}–${(100 * p.ci[1]).toFixed(1)}</td>` +
        `<td>${
          p.choices
            ? escapeHtml(
                Object.entries(p.choices)
                  .map(([s, n]) => `${s}: ${n}`)
                  .join("; "),
              )
            : ""
        }</td></tr>`,
    )
    .join("");
  return (
    `<section><h2>Allocation frontier</h2>` +
    `<p class="note">Accuracy against mean generated tokens per problem on the same ${frontier.problems} problems: every fixed ` +
    `strategy (●, from the pool's first n samples, or a stored strategy result) and each tuned allocation policy (★, ` +
    `<code>deliberate tune</code>: a warm-up of the pool's first samples, then its bin's strategy, the warm-up included in its tokens). ` +
    `The oracle ceiling (▲) bins by the true solve rate, which needs the gold answer: an upper bound, not a runnable policy. ` +
    `Bars are 95% bootstrap CIs over problems.</p>` +
    `<div class="chart" data-plot="frontier"></div>` +
    `<table><thead><tr><th>kind</th><th>name</th><th>tokens/problem</th><th>accuracy %</th><th>95% CI</th><th>choices</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></section>`
  );
}

/** The whole page. */
export function reportHtml(data: ReportData): string {
  const run = data.run;
  const all = data.groups.find((g) => g.level === null);
  const levels = data.groups.filter((g) => g.level !== null);
  const names = new Set(plotNames(data));
  const model = run.model.id ?? run.model.model ?? run.model.source;
  const pool =
    run.pool.samples > 0
      ? `pool of ${run.pool.samples} samples/problem (T=${run.pool.temperature}, top-p ${run.pool.topP}, ≤ ${run.pool.maxTokens} tokens)`
      : "no sample pool";
  const title = `${run.dataset}${run.where.map((w) => ` ${w.field}=${w.value}`).join("")}`;
  const parts: string[] = [];
  parts.push(`<header><h1>deliberate report · ${escapeHtml(title)}</h1>`);
  parts.push(
    `<p class="meta">${run.problems.completed}/${run.problems.total} problems · ${escapeHtml(pool)} · model ${escapeHtml(model)}` +
      `${run.scorer ? ` · scorer ${escapeHtml(run.scorer)}` : ""} · strategies ${escapeHtml(run.strategies.map((s) => s.spec).join(", ") || "none")}` +
      ` · seed ${run.seed} · ${Math.round(run.ci.level * 100)}% bootstrap CIs over problems (${run.ci.resamples} resamples)</p>`,
  );
  parts.push(
    `<p class="meta">run ${escapeHtml(run.dir)}${run.createdAt ? `, created ${escapeHtml(run.createdAt)}` : ""}</p>`,
  );
  if (run.problems.completed < run.problems.total) {
    parts.push(
      `<p class="warn">Incomplete run: only the ${run.problems.completed} completed problems are counted ` +
        `(finish it with <code>deliberate eval --resume --out DIR</code>).</p>`,
    );
  }
  parts.push("</header>");
  if (!all) {
    parts.push(`<p class="warn">The run has no completed problems yet: nothing to plot.</p>`);
  } else {
    parts.push(`<section><h2>Accuracy vs generated tokens</h2>`);
    parts.push(
      `<p class="note">Every method at its compute cost, so that methods can be compared at matched budgets: a curve ` +
        `for each pool method over k = 1, 2, 4, … (majority vote${run.scorer ? ", best-of-n and weighted majority" : ""} ` +
        `over a random k-subset of the pool; k = 1 is pass@1), placed at k × the pool's mean tokens per sample ` +
        `(${fmt1(all.tokensPerSample)} here), and each strategy (◆) at its mean generated tokens per problem. ` +
        `Bars are ${Math.round(run.ci.level * 100)}% CIs. Read the curves at a strategy's x to compare at equal compute.</p>`,
    );
    parts.push(
      `<label>x axis <select id="x-view"><option value="tokens" selected>mean generated tokens per problem (matched budget)</option>` +
        `<option value="samples">samples per problem</option></select></label>`,
    );
    parts.push(`<div class="chart" data-plot="budget"></div>`);
    parts.push(matchedTable(all));
    parts.push(`</section>`);
    parts.push(computeSection(data, names.has("compute")));
    if (names.has("coverage")) {
      parts.push(`<section><h2>Coverage vs samples</h2>`);
      parts.push(
        `<p class="note">Coverage (pass@k, the unbiased estimator: at least one of k samples correct) against k, with the ` +
          `power law of <i>Large Language Monkeys</i> fitted to it, solid over the measured k and dashed where it extrapolates. ` +
          `${fitText(all)}.</p>`,
      );
      parts.push(`<div class="chart" data-plot="coverage"></div></section>`);
    }
    if (levels.length > 0) {
      parts.push(`<section><h2>By difficulty level</h2>`);
      parts.push(`<p class="note">The accuracy-vs-tokens plot for each level (same encoding as above).</p>`);
      parts.push(`<div class="grid">`);
      for (const g of levels) {
        parts.push(
          `<figure><figcaption>${escapeHtml(g.label)} · ${g.problems} problem${g.problems === 1 ? "" : "s"}</figcaption>` +
            `<div class="chart" data-plot="budget-level-${g.level}"></div></figure>`,
        );
      }
      parts.push(`</div>`);
      if (names.has("coverage-levels")) {
        parts.push(`<h3>Coverage by level</h3><div class="chart" data-plot="coverage-levels"></div>`);
        parts.push(
          `<table><thead><tr><th>level</th><th>problems</th><th>coverage fit</th></tr></thead><tbody>` +
            levels
              .map(
                (g) =>
                  `<tr><td>${escapeHtml(g.label)}</td><td class="num">${g.problems}</td><td>${fitText(g)}</td></tr>`,
              )
              .join("") +
            `</tbody></table>`,
        );
      }
      parts.push(`</section>`);
    }
    if (data.frontier) parts.push(frontierSection(data.frontier));
    parts.push(
      `<section><h2>Numbers</h2><p class="note">The same numbers are in report.json and report.csv.</p>`,
    );
    parts.push(`<h3>all problems · ${all.problems}</h3>${pointsTable(all)}`);
    for (const g of levels) {
      parts.push(
        `<details><summary>${escapeHtml(g.label)} · ${g.problems} problems</summary>${pointsTable(g)}${matchedTable(g)}</details>`,
      );
    }
    parts.push(`</section>`);
  }
  const libs = reportLibraries();
  parts.push(
    `<footer>Generated by deliberate at ${escapeHtml(data.generatedAt)} · plots by ` +
      `${libs.map((l) => `${escapeHtml(l.name)} ${escapeHtml(l.version)}`).join(" and ")} (inlined; the page needs no network).</footer>`,
  );
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>deliberate report · ${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    ...parts,
    `<script type="application/json" id="report-data">${json}</script>`,
    ...libs.map((l) => `<script>/* ${l.name} ${l.version} */\n${scriptText(l.code)}</script>`),
    `<script>${scriptText(CLIENT_SCRIPT)}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
