/** The human-readable rendering of an {@link EvalSummary}: the text `deliberate eval` prints. */
import { round } from "./summary-cost.js";
import type { EvalSummary } from "./summary-types.js";

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A cost figure in short scientific notation (`2.31e8`), or `-` when absent. */
function formatCost(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : x.toExponential(2).replace("e+", "e");
}

/**
 * The human-readable report: a header, one table per group (metric, accuracy, 95% CI, generated
 * tokens per problem, and FLOPs and eFLOPs per problem when the model shape is known), an overview
 * with one column per level, and the speed line.
 */
export function formatSummary(summary: EvalSummary): string {
  const lines: string[] = [];
  const pool =
    summary.pool.samples > 0
      ? `pool ${summary.pool.samples} samples/problem (T=${summary.pool.temperature})`
      : "no pool";
  const model = summary.model.id ?? summary.model.model ?? summary.model.source;
  lines.push(
    `${summary.dataset}${summary.where.map((w) => ` ${w.field}=${w.value}`).join("")} · ` +
      `${summary.problems.completed}/${summary.problems.total} problems · ${pool} · model ${model}` +
      `${summary.scorer ? ` · scorer ${summary.scorer}` : ""} · seed ${summary.seed}`,
  );
  if (summary.problems.completed < summary.problems.total) {
    lines.push(`(incomplete run: resume it with --resume to finish the remaining problems)`);
  }
  const shape = summary.cost.shape;
  if (shape) {
    lines.push(
      `cost: ${shape.params} params, ${shape.layers} layers, dModel ${shape.dModel}, kvDim ${shape.kvDim}, ` +
        `${round(shape.bytesPerParam, 3)} bytes/param (${shape.source === "gguf" ? "GGUF metadata" : "--model-shape"}); ` +
        `eFLOPs = FLOPs + ${summary.cost.intensity} · bytes`,
    );
  } else lines.push("cost: model shape unknown, no FLOPs (pass --model-shape)");
  const nameWidth = Math.max(10, ...summary.groups.flatMap((g) => g.metrics.map((m) => m.name.length)));
  const costHead = shape ? `  ${pad("FLOPs/problem", 13, true)}  ${pad("eFLOPs/problem", 14, true)}` : "";
  for (const group of summary.groups) {
    lines.push("");
    lines.push(`${group.label} · ${group.problems} problems`);
    lines.push(
      `  ${pad("metric", nameWidth)}  ${pad("accuracy", 8, true)}  ${pad("95% CI", 16)}  ${pad("tokens/problem", 14, true)}${costHead}`,
    );
    for (const m of group.metrics) {
      const ci = `[${m.ci[0].toFixed(3)}, ${m.ci[1].toFixed(3)}]`;
      const tokens = m.tokensPerProblem !== undefined ? m.tokensPerProblem.toFixed(1) : "";
      const cost = shape
        ? `  ${pad(formatCost(m.compute?.flops), 13, true)}  ${pad(formatCost(m.compute?.eflops), 14, true)}`
        : "";
      lines.push(
        `  ${pad(m.name, nameWidth)}  ${pad(m.value.toFixed(3), 8, true)}  ${pad(ci, 16)}  ${pad(tokens, 14, true)}${cost}`,
      );
    }
  }
  if (summary.groups.length > 2) {
    lines.push("");
    lines.push("overview (accuracy)");
    const labels = summary.groups.map((g) => (g.level === null ? "all" : `L${g.level}`));
    lines.push(`  ${pad("metric", nameWidth)}${labels.map((l) => pad(l, 7, true)).join("")}`);
    const names = summary.groups[summary.groups.length - 1]!.metrics.map((m) => m.name);
    for (const name of names) {
      const cells = summary.groups.map((g) => {
        const m = g.metrics.find((x) => x.name === name);
        return pad(m ? m.value.toFixed(3) : "-", 7, true);
      });
      lines.push(`  ${pad(name, nameWidth)}${cells.join("")}`);
    }
  }
  if (summary.speed) {
    const s = summary.speed;
    lines.push("");
    lines.push(
      `generated ${s.samples} samples (${s.completionTokens} tokens) for ${s.problems} problems in ` +
        `${s.wallSeconds.toFixed(1)} s: ${s.samplesPerSecond.toFixed(2)} samples/s, ${s.tokensPerSecond.toFixed(0)} tokens/s`,
    );
  }
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}
