import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { ListenAddress } from "../../config.ts";
import type { ServerMetrics } from "../metrics.ts";

export interface AdminSources {
  readonly metrics: ServerMetrics;
  /** True once start-up (and recovery) is complete and the server has not begun draining. */
  isReady(): boolean;
  /** Registry summary served on /registry. */
  registry(): unknown;
  /** POST /snapshot: takes a snapshot now; absent in memory-only mode (then 405 like any non-GET). */
  snapshot?(): Promise<unknown>;
}

/** The admin listener: GET /health, /ready, /metrics, /registry and POST /snapshot on their own port. */
export class AdminServer {
  private readonly server: http.Server;

  constructor(sources: AdminSources) {
    this.server = http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const json = (status: number, body: unknown): void => {
        const text = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
      };
      if (path === "/snapshot" && req.method === "POST" && sources.snapshot !== undefined) {
        sources.snapshot().then(
          (body) => json(200, body),
          (err: unknown) => json(503, { error: { code: "unavailable", message: `snapshot failed: ${(err as Error).message}` } }),
        );
        return;
      }
      if (req.method !== "GET") return json(405, { error: { code: "method_not_allowed", method: req.method, path } });
      switch (path) {
        case "/health":
          return json(200, { status: "ok" });
        case "/ready":
          return sources.isReady() ? json(200, { status: "ready" }) : json(503, { status: "not_ready" });
        case "/registry":
          return json(200, sources.registry());
        case "/metrics":
          sources.metrics.registry.metrics().then(
            (text) => {
              res.writeHead(200, { "content-type": sources.metrics.registry.contentType });
              res.end(text);
            },
            () => json(500, { error: { code: "internal_error" } }),
          );
          return;
        default:
          return json(404, { error: { code: "not_found", path } });
      }
    });
  }

  async listen(address: ListenAddress): Promise<ListenAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(address.port, address.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return { host: address.host, port: (this.server.address() as AddressInfo).port };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
