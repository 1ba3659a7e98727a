import type { RequestRecord } from "./options.js";

/**
 * The log line `deliberate serve` writes for a request that did not complete normally: cancelled
 * (client gone, shutdown) or failed on the server side. Null for the others, which only the metrics
 * count. The tokens are what the request really used, the aborted share included.
 */
export function requestLogLine(record: RequestRecord): string | null {
  if (!record.aborted && record.status < 500) return null;
  const what = record.aborted ? "aborted" : "failed";
  const u = record.usage;
  return (
    `${record.status} ${record.endpoint} ${record.id} ${what} after ${Math.round(record.wallMs)} ms` +
    ` strategy=${record.strategy ?? "none"} stream=${record.stream}` +
    ` tokens prompt=${u.promptTokens} cached=${u.cachedPromptTokens} completion=${u.completionTokens} calls=${u.calls}`
  );
}
