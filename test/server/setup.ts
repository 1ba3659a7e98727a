import OpenAI from "openai";
import type { LanguageModel } from "../../src/core/model.js";
import {
  createServer,
  type DeliberateServer,
  type RequestRecord,
  type ServerOptions,
} from "../../src/server/index.js";

/** A server on a random loopback port, the records of its finished requests, and an OpenAI client. */
export interface TestServer {
  server: DeliberateServer;
  url: string;
  records: RequestRecord[];
  client: OpenAI;
  /** Resolves with the record of the next request that ends. */
  nextRecord(): Promise<RequestRecord>;
  close(): Promise<void>;
}

export async function startTestServer(
  model: LanguageModel,
  options: Partial<ServerOptions> = {},
): Promise<TestServer> {
  const records: RequestRecord[] = [];
  let waiters: ((r: RequestRecord) => void)[] = [];
  const server = createServer({
    model,
    modelName: "tiny",
    defaultMaxTokens: 60,
    ...options,
    onRequestEnd: (record) => {
      records.push(record);
      const pending = waiters;
      waiters = [];
      for (const resolve of pending) resolve(record);
      options.onRequestEnd?.(record);
    },
  });
  const { url } = await server.listen({ port: 0, host: "127.0.0.1" });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: options.apiKey ?? "none", maxRetries: 0 });
  return {
    server,
    url,
    records,
    client,
    nextRecord: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => server.close({ deadlineMs: 1000 }),
  };
}

/** The arithmetic question as a chat message. */
export const QUESTION = [{ role: "user" as const, content: "57+38-19+44" }];

/** POSTs JSON with fetch and returns the status and parsed body. */
export async function postRaw(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  body: { error?: { message: string; type: string; param: string | null; code: string | null } };
  headers: Headers;
}> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), headers: response.headers };
}
