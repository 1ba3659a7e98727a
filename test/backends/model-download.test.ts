import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { ModelLoadError } from "../../src/core/errors.js";
import { embeddedModels } from "../../src/defaults.js";
import { runCli } from "../helpers/cli.js";

/** A loopback host that accepts connections and never answers: an unreachable model hub. */
function silentHost(): Promise<{ url: string; close: () => void }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => sockets.push(socket));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      });
    });
  });
}

describe("hf: model URIs", () => {
  const previous = process.env.HF_ENDPOINT;
  after(() => {
    if (previous === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = previous;
  });

  test("a host that never answers fails with one ModelLoadError within the stall timeout", async () => {
    const host = await silentHost();
    process.env.HF_ENDPOINT = host.url;
    const started = performance.now();
    try {
      await assert.rejects(
        LlamaCppModel.load({
          model: "hf:someone/some-repo/model.gguf",
          cacheDir: mkdtempSync(path.join(tmpdir(), "deliberate-dl-")),
          downloadTimeoutSeconds: 1,
        }),
        (error: Error) => {
          assert.ok(error instanceof ModelLoadError);
          assert.match(
            error.message,
            /could not download hf:someone\/some-repo\/model\.gguf: no progress for 1 s/,
          );
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
      const seconds = (performance.now() - started) / 1000;
      assert.ok(seconds >= 1 && seconds < 10, `failed after ${seconds.toFixed(1)} s`);
    } finally {
      host.close();
    }
  });

  test("the CLI prints one error line and exits instead of hanging", async () => {
    const host = await silentHost();
    try {
      const started = performance.now();
      const result = runCli(["run", "--model", "hf:someone/some-repo/model.gguf", "1+1"], undefined, {
        HF_ENDPOINT: host.url,
        DELIBERATE_DOWNLOAD_TIMEOUT: "1",
      });
      const seconds = (performance.now() - started) / 1000;
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(
        lines[0]!,
        /^error: could not download hf:someone\/some-repo\/model\.gguf: no progress for 1 s/,
      );
      assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
    } finally {
      host.close();
    }
  });

  describe("a reachable host", () => {
    const body = readFileSync(embeddedModels.policy);
    const requests: string[] = [];
    let server: http.Server;
    before(async () => {
      server = http.createServer((req, res) => {
        requests.push(req.url ?? "");
        if (!(req.url ?? "").split("?")[0]!.endsWith("/resolve/main/arith.gguf")) {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.setHeader("content-length", body.length);
        res.end(req.method === "HEAD" ? undefined : body);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    });
    after(() => server.close());

    test("downloads once with progress, then loads from the cache", async () => {
      const cacheDir = mkdtempSync(path.join(tmpdir(), "deliberate-dl-"));
      const progress: number[] = [];
      const model = await LlamaCppModel.load({
        model: "hf:someone/some-repo/arith.gguf",
        cacheDir,
        gpu: false,
        parallel: 1,
        onDownloadProgress: (p) => progress.push(p.downloadedSize),
      });
      try {
        assert.equal(path.dirname(model.file), cacheDir);
        assert.deepEqual(readFileSync(model.file), body);
        assert.equal(progress.at(-1), body.length);
        const { completions } = await model.complete({ prompt: "Q:12+7\n", temperature: 0, maxTokens: 40 });
        assert.match(completions[0]!.text, /A:19/);
      } finally {
        await model.close();
      }
      const served = requests.length;
      const again = await LlamaCppModel.load({
        model: "hf:someone/some-repo/arith.gguf",
        cacheDir,
        gpu: false,
        parallel: 1,
      });
      await again.close();
      assert.equal(requests.length, served, "a cached file is used without a request");
    });
  });
});
