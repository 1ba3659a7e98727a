/**
 * The script that draws the report's plots in the browser with Observable Plot (inlined with d3 into
 * the HTML). It is plain browser JavaScript kept as a string, so that it reaches the page exactly as
 * written whether the package runs from source or from its build; the headless-browser test runs it.
 *
 * It reads the report data from `<script id="report-data" type="application/json">`, renders one
 * `<div data-plot="…">` per plot, logs any rendering error with console.error, and sets
 * `data-rendered` on `<html>` to the number of plots drawn when done.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var POOL_LABEL = {
    majority: "majority vote (maj@k)",
    "best-of-n": "best-of-n (bon@k)",
    "weighted-majority": "weighted majority (wmaj@k)",
    coverage: "coverage@k (pass@k)",
  };
  var f3 = d3.format(".3f");
  var f1 = d3.format(",.1f");
  var fE = d3.format(".3~e");
  var strategyNames = data.run.strategies.map(function (s) { return s.spec; });
  var poolNames = ["majority", "best-of-n", "weighted-majority"].filter(function (s) {
    return data.groups.some(function (g) { return g.points.some(function (p) { return p.kind === s; }); });
  });
  // One colour per series across every plot.
  var colorDomain = strategyNames.concat(poolNames.map(function (s) { return POOL_LABEL[s]; }));
  var colorScale = { type: "ordinal", domain: colorDomain, scheme: "tableau10" };
  var rendered = 0;

  function labelOf(p) { return p.kind === "strategy" ? p.series : POOL_LABEL[p.series] || p.series; }

  function xOf(view) {
    if (view === "flops" || view === "eflops") {
      return function (p) { return p.compute ? p.compute[view] : null; };
    }
    return view === "samples"
      ? function (p) { return p.samplesPerProblem; }
      : function (p) { return p.tokensPerProblem; };
  }

  var X_LABEL = {
    samples: "samples per problem (k; strategies: candidates) →",
    tokens: "mean generated tokens per problem →",
    flops: "FLOPs per problem →",
    eflops: "eFLOPs per problem (FLOPs + intensity × bytes) →",
  };

  var tickFormat = d3.format(",~g");

  /** Ticks of a log-2 axis on [lo, hi]: the powers of 2 in it, with 1.5·2^n between them when those are few. */
  function log2Ticks(lo, hi) {
    var ticks = [];
    for (var e = Math.floor(Math.log2(lo)) - 1; e <= Math.ceil(Math.log2(hi)) + 1; e++) {
      var v = Math.pow(2, e);
      if (v >= lo && v <= hi) ticks.push(v);
    }
    if (ticks.length < 4) {
      for (var e2 = Math.floor(Math.log2(lo)) - 1; e2 <= Math.ceil(Math.log2(hi)) + 1; e2++) {
        var w = 1.5 * Math.pow(2, e2);
        if (w >= lo && w <= hi) ticks.push(w);
      }
      ticks.sort(function (a, b) { return a - b; });
    }
    return ticks;
  }

  /** Ticks of a log-10 axis on [lo, hi]: 1, 2 and 5 × 10^n, or every digit when those are few. */
  function log10Ticks(lo, hi) {
    function within(mantissas) {
      var ticks = [];
      for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
        mantissas.forEach(function (m) {
          var v = m * Math.pow(10, e);
          if (v >= lo && v <= hi) ticks.push(v);
        });
      }
      return ticks;
    }
    var ticks = within([1, 2, 5]);
    return ticks.length >= 3 ? ticks : within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }

  function xAxis(view, values, small) {
    var positive = values.length > 0 && values.every(function (x) { return x > 0; });
    var lo = d3.min(values), hi = d3.max(values);
    var axis = { label: X_LABEL[view], grid: true, labelAnchor: "center", labelOffset: 34 };
    if (positive && (view === "flops" || view === "eflops")) {
      // Costs span decades: a base-10 log axis with SI ticks (k, M, G, …).
      axis.type = "log";
      axis.domain = [lo / 1.3, hi * 1.3];
      axis.ticks = log10Ticks(axis.domain[0], axis.domain[1]);
      axis.tickFormat = "~s";
    } else if (positive) {
      var domain = [lo / 1.3, hi * 1.3];
      axis.type = "log";
      axis.base = 2;
      axis.domain = domain;
      var ticks = log2Ticks(domain[0], domain[1]);
      if (small && ticks.length > 5) ticks = ticks.filter(function (t, i) { return i % 2 === 0; });
      axis.ticks = ticks;
      axis.tickFormat = tickFormat;
    }
    return axis;
  }

  function tipText(p) {
    var lines = [labelOf(p) + (p.k !== undefined ? "  (k = " + p.k + ")" : ""),
      "accuracy " + f3(p.value) + "  [" + f3(p.ci[0]) + ", " + f3(p.ci[1]) + "]"];
    if (p.tokensPerProblem !== null) lines.push("tokens/problem " + f1(p.tokensPerProblem));
    if (p.samplesPerProblem !== null) lines.push("samples/problem " + f1(p.samplesPerProblem));
    if (p.compute && p.compute.flops !== null) lines.push("FLOPs/problem " + fE(p.compute.flops) + ", eFLOPs " + fE(p.compute.eflops));
    return lines.join("\n");
  }

  /** Accuracy against cost: pool methods as curves over k, strategies as labelled points; 95% CIs as bars. */
  function budgetPlot(group, view, size) {
    var x = xOf(view);
    var pts = group.points
      .filter(function (p) { return x(p) !== null && x(p) !== undefined && Number.isFinite(x(p)); })
      .map(function (p) { return Object.assign({}, p, { x: x(p), label: labelOf(p) }); });
    var pool = pts.filter(function (p) { return p.kind !== "strategy"; });
    var strategies = pts.filter(function (p) { return p.kind === "strategy"; });
    return Plot.plot({
      width: size.width,
      height: size.height,
      marginRight: size.small ? 20 : 60,
      marginBottom: 42,
      style: { fontSize: size.small ? "10px" : "12px" },
      x: xAxis(view, pts.map(function (p) { return p.x; }), size.small),
      y: { domain: [0, 1], label: "↑ accuracy", grid: true },
      color: Object.assign({ legend: !size.small }, colorScale),
      marks: [
        Plot.ruleY([0]),
        Plot.line(pool, { x: "x", y: "value", z: "label", stroke: "label", strokeWidth: 1.5, sort: "x" }),
        Plot.ruleX(pts, { x: "x", y1: function (p) { return p.ci[0]; }, y2: function (p) { return p.ci[1]; }, stroke: "label", strokeOpacity: 0.45, strokeWidth: 3 }),
        Plot.dot(pool, { x: "x", y: "value", fill: "label", r: size.small ? 2.5 : 3.5 }),
        Plot.dot(strategies, { x: "x", y: "value", fill: "label", symbol: "diamond", r: size.small ? 4 : 6, stroke: "white" }),
        Plot.text(strategies, { x: "x", y: "value", text: "label", dx: 8, textAnchor: "start", fill: "currentColor", lineWidth: 14 }),
        size.small ? null : Plot.text(pool.filter(function (p) { return p.k > 1; }), { x: "x", y: "value", text: function (p) { return "k=" + p.k; }, dy: -9, fontSize: 9, fill: "label" }),
        Plot.tip(pts, Plot.pointer({ x: "x", y: "value", title: tipText })),
      ],
    });
  }

  /** The fitted law on a fine grid of k from 1 to 4·kMax; "measured" where k ≤ kMax. */
  function fitCurve(fit, kMax) {
    var out = [];
    var end = Math.log2(kMax * 4);
    for (var i = 0; i <= 120; i++) {
      var k = Math.pow(2, (end * i) / 120);
      out.push({ k: k, value: Math.exp(fit.a * Math.pow(k, fit.b)), measured: k <= kMax * (1 + 1e-9), beyond: k >= kMax * (1 - 1e-9) });
    }
    return out;
  }

  /** Ordered colours for n levels: viridis without its pale yellow end, which is hard to see on white. */
  function levelColors(n) {
    if (n < 2) return [d3.interpolateViridis(0.3)];
    return d3.quantize(function (t) { return d3.interpolateViridis(0.85 * t); }, n);
  }

  function groupName(g) { return g.level === null ? "all problems" : "level " + g.level; }

  /** Coverage against k with the fitted exp(a·k^b) law (solid over the measured k, dashed beyond). */
  function coveragePlot(groups, size) {
    var byLevel = groups.length > 1;
    var pts = [], curves = [];
    groups.forEach(function (g, i) {
      var name = groupName(g);
      // Several levels share each k: shift each level's points a little along the log axis so that
      // their CI bars stay apart (the tip shows the true k).
      var shift = byLevel ? Math.pow(2, (i - (groups.length - 1) / 2) * 0.035) : 1;
      g.coverage.forEach(function (p) { pts.push(Object.assign({}, p, { group: name, kx: p.k * shift })); });
      if (g.coverageFit && g.coverage.length > 0) {
        var kMax = d3.max(g.coverage, function (p) { return p.k; });
        fitCurve(g.coverageFit, kMax).forEach(function (c) { curves.push(Object.assign(c, { group: name })); });
      }
    });
    var kMax = d3.max(pts, function (p) { return p.k; }) || 1;
    var ink = byLevel ? "group" : "#4e79a7";
    var fitInk = byLevel ? "group" : "#555";
    return Plot.plot({
      width: size.width,
      height: size.height,
      marginBottom: 42,
      marginRight: 40,
      style: { fontSize: "12px" },
      x: { type: "log", base: 2, domain: [0.85, kMax * 4.2], ticks: log2Ticks(1, kMax * 4), tickFormat: tickFormat, label: "samples per problem k →", labelAnchor: "center", labelOffset: 34, grid: true },
      y: { domain: [0, 1], label: "↑ coverage (pass@k)", grid: true },
      color: byLevel ? { legend: true, type: "ordinal", domain: groups.map(groupName), range: levelColors(groups.length) } : undefined,
      marks: [
        Plot.ruleY([0, 1], { stroke: "#ccc" }),
        Plot.line(curves.filter(function (c) { return c.measured; }), { x: "k", y: "value", z: "group", stroke: fitInk, strokeWidth: 1.5 }),
        Plot.line(curves.filter(function (c) { return c.beyond; }), { x: "k", y: "value", z: "group", stroke: fitInk, strokeWidth: 1.5, strokeDasharray: "4,3", strokeOpacity: 0.8 }),
        byLevel ? null : Plot.text(curves.slice(-1), { x: "k", y: "value", text: function () { return "fit exp(a·k^b)"; }, dy: -10, textAnchor: "end", fill: "#555" }),
        Plot.ruleX(pts, { x: "kx", y1: function (p) { return p.ci[0]; }, y2: function (p) { return p.ci[1]; }, stroke: ink, strokeOpacity: byLevel ? 0.35 : 0.45, strokeWidth: byLevel ? 2 : 3 }),
        Plot.dot(pts, { x: "kx", y: "value", fill: ink, r: 3.5 }),
        Plot.tip(pts, Plot.pointer({ x: "kx", y: "value", title: function (p) {
          return p.group + ", k = " + p.k + "\ncoverage " + f3(p.value) + "  [" + f3(p.ci[0]) + ", " + f3(p.ci[1]) + "]";
        } })),
      ],
    });
  }

  /** Accuracy vs tokens of fixed strategies, tuned policies and the oracle ceiling. */
  function frontierPlot(frontier, size) {
    var KIND = { fixed: "fixed strategy", policy: "tuned policy", oracle: "oracle ceiling" };
    var pts = frontier.points.map(function (p) { return Object.assign({}, p, { kindLabel: KIND[p.kind] }); });
    var fixed = pts.filter(function (p) { return p.kind === "fixed"; });
    // Only the most accurate of the fixed points at the same tokens is labelled (the rest: tooltip, table).
    var seenAt = {};
    fixed.sort(function (a, b) { return b.accuracy - a.accuracy; }).forEach(function (p) {
      var key = p.tokens.toFixed(1);
      p.rank = seenAt[key] || 0;
      seenAt[key] = p.rank + 1;
      p.short = p.name.replace(/,temperature=[^,]*,topP=[^,]*,topK=0(,maxTokens=\d+)?/, "").replace(",aggregate=sum", "");
    });
    return Plot.plot({
      width: size.width,
      height: size.height,
      marginBottom: 42,
      marginRight: 130,
      style: { fontSize: "12px" },
      x: { type: "log", label: "mean generated tokens per problem →", labelAnchor: "center", labelOffset: 34, grid: true },
      y: { domain: [0, 1], label: "↑ accuracy", grid: true },
      color: { legend: true, domain: ["fixed strategy", "tuned policy", "oracle ceiling"], range: ["#4e79a7", "#e15759", "#999"] },
      symbol: { domain: ["fixed strategy", "tuned policy", "oracle ceiling"], range: ["circle", "star", "triangle"] },
      marks: [
        Plot.ruleX(pts, { x: "tokens", y1: function (p) { return p.ci[0]; }, y2: function (p) { return p.ci[1]; }, stroke: "kindLabel", strokeOpacity: 0.4, strokeWidth: 3 }),
        Plot.dot(pts, { x: "tokens", y: "accuracy", fill: "kindLabel", stroke: "kindLabel", symbol: "kindLabel", r: 5 }),
        Plot.text(fixed.filter(function (p) { return p.rank === 0; }), { x: "tokens", y: "accuracy", text: "short", dx: 8, textAnchor: "start", fontSize: 9, fill: "#4e79a7" }),
        Plot.tip(pts, Plot.pointer({ x: "tokens", y: "accuracy", title: function (p) {
          return p.name + "\naccuracy " + f3(p.accuracy) + "  [" + f3(p.ci[0]) + ", " + f3(p.ci[1]) + "]\ntokens " + p.tokens.toFixed(1);
        } })),
      ],
    });
  }

  function mount(name, build) {
    var el = document.querySelector('[data-plot="' + name + '"]');
    if (!el) return;
    try {
      el.replaceChildren(build());
      rendered++;
    } catch (error) {
      el.textContent = "could not draw this plot: " + error;
      console.error("plot " + name + ":", error);
    }
  }

  var all = data.groups.find(function (g) { return g.level === null; });
  var levels = data.groups.filter(function (g) { return g.level !== null; });
  var viewSelect = document.getElementById("x-view");
  var costSelect = document.getElementById("cost-view");

  /** Accuracy against FLOPs or eFLOPs (same encoding as the tokens plot). */
  function drawCompute() {
    rendered = 0;
    var view = costSelect ? costSelect.value : "flops";
    if (all) mount("compute", function () { return budgetPlot(all, view, { width: 760, height: 420 }); });
    return rendered;
  }

  function drawBudget() {
    rendered = 0;
    var view = viewSelect ? viewSelect.value : "tokens";
    if (all) mount("budget", function () { return budgetPlot(all, view, { width: 760, height: 420 }); });
    levels.forEach(function (g) {
      mount("budget-level-" + g.level, function () { return budgetPlot(g, view, { width: 320, height: 230, small: true }); });
    });
    return rendered;
  }

  var budgetCount = drawBudget() + drawCompute();
  rendered = 0;
  if (all) mount("coverage", function () { return coveragePlot([all], { width: 760, height: 380 }); });
  if (levels.length > 0) mount("coverage-levels", function () { return coveragePlot(levels, { width: 760, height: 380 }); });
  if (data.frontier) mount("frontier", function () { return frontierPlot(data.frontier, { width: 760, height: 420 }); });
  var total = budgetCount + rendered;
  if (viewSelect) viewSelect.addEventListener("change", function () { drawBudget(); });
  if (costSelect) costSelect.addEventListener("change", function () { drawCompute(); });
  document.documentElement.setAttribute("data-rendered", String(total));
})();
`;
