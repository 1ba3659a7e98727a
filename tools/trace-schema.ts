/**
 * Writes docs/trace.schema.json, the JSON Schema of `deliberate run --trace` files, from the zod
 * schema in src/core/trace-file.ts (a test checks that the two agree).
 *
 *   npx tsx tools/trace-schema.ts
 */
import { writeFileSync } from "node:fs";
import { traceJsonSchema } from "../src/core/trace-file.js";

writeFileSync(
  new URL("../docs/trace.schema.json", import.meta.url),
  `${JSON.stringify(traceJsonSchema(), null, 2)}\n`,
);
