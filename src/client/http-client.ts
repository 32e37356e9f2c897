import * as beava from "./beava-json.ts";
import { errorFromBeavaBody, TesseraClientError } from "./client-error.ts";
import {
  DEFAULT_TIMEOUT_MS,
  type BatchGetResult,
  type DataPlaneClient,
  type EntityKey,
  type FeatureRow,
  type GetOptions,
  type GetRequest,
  type JsonObject,
  type PingResult,
  type PushBatchResult,
  type PushEvent,
  type PushResult,
  type RegisterOptions,
  type RegisterResult,
  type ResetResult,
  type WorkspaceOption,
} from "./data-plane-client.ts";

export interface HttpClientOptions {
  /** Base URL of the server's HTTP port, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <key>`. Default: none (a server with `--auth off`). */
  readonly apiKey?: string;
  /** Per-request deadline; 0 disables it. Default 30 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * The beava routes over HTTP/1.1 with fetch, whose connection pool keeps connections alive between
 * requests. A request that fails before a reply arrives is not retried: a push may have been applied.
 */
export class HttpDataPlaneClient implements DataPlaneClient {
  readonly transport = "http";
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  /** Aborts requests in flight on close(). */
  private readonly closing = new AbortController();

  constructor(options: HttpClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.headers = { "content-type": "application/json" };
    if (options.apiKey !== undefined) this.headers["authorization"] = `Bearer ${options.apiKey}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async register(nodes: readonly JsonObject[], options: RegisterOptions = {}): Promise<RegisterResult> {
    return beava.registerResult(this.transport, await this.post("/register", beava.registerBody(nodes, options)));
  }

  async push(event: string, data: JsonObject, options: WorkspaceOption = {}): Promise<PushResult> {
    return beava.pushResult(this.transport, await this.post("/push", beava.pushBody(event, data, options.workspace)));
  }

  async pushBatch(events: readonly PushEvent[], options: WorkspaceOption = {}): Promise<PushBatchResult> {
    return beava.pushBatchResult(this.transport, await this.post("/push_batch", beava.pushBatchBody(events, options.workspace)));
  }

  async get(table: string, key: EntityKey, options: GetOptions = {}): Promise<FeatureRow> {
    return beava.getResult(this.transport, await this.post("/get", beava.getBody(table, key, options.features, options.workspace)));
  }

  async batchGet(requests: readonly GetRequest[], options: WorkspaceOption = {}): Promise<BatchGetResult> {
    return beava.batchGetResult(this.transport, await this.post("/batch_get", beava.batchGetBody(requests, options.workspace)));
  }

  async ping(): Promise<PingResult> {
    return beava.pingResult(this.transport, await this.post("/ping", {}));
  }

  async reset(options: WorkspaceOption = {}): Promise<ResetResult> {
    return beava.resetResult(this.transport, await this.post("/reset", beava.resetBody(options.workspace)));
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  /** POSTs a JSON body; resolves with the JSON reply of a 2xx, throws the server's error otherwise. */
  private async post(path: string, body: unknown): Promise<unknown> {
    if (this.closing.signal.aborted) throw new TesseraClientError("unavailable", "the client is closed", { transport: this.transport });
    const signal = this.timeoutMs > 0 ? AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.timeoutMs)]) : this.closing.signal;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.base + path, { method: "POST", headers: this.headers, body: JSON.stringify(body), signal });
      text = await res.text();
    } catch (e) {
      throw this.failure(path, e);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new TesseraClientError("internal_error", `POST ${path} answered ${res.status} with a body that is not JSON`, {
        transport: this.transport,
        status: res.status,
        details: { body: text.slice(0, 1024) },
      });
    }
    if (res.ok) return parsed;
    throw errorFromBeavaBody(parsed, { transport: this.transport, status: res.status });
  }

  private failure(path: string, e: unknown): TesseraClientError {
    const init = { transport: this.transport, cause: e } as const;
    if (e instanceof DOMException && e.name === "TimeoutError") {
      return new TesseraClientError("deadline_exceeded", `POST ${path}: no reply within ${this.timeoutMs} ms`, init);
    }
    if (this.closing.signal.aborted) return new TesseraClientError("unavailable", `POST ${path}: the client was closed`, init);
    const reason = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    return new TesseraClientError("unavailable", `POST ${path} to ${this.base} failed: ${reason}`, init);
  }
}
