/** Levels from a `--levels` option of the data tools: `3` or a range `1-6`. */
export function parseLevels(spec: string): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m) throw new Error(`--levels must look like 3 or 1-6, got ${spec}`);
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}
