import type { MessageInitShape, JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  DataPlaneService,
  type EntryError as ProtoEntryError,
  type GetRequestSchema,
} from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { camelEntry } from "./beava-json.ts";
import { errorFromConnect, TesseraClientError } from "./client-error.ts";
import {
  DEFAULT_TIMEOUT_MS,
  type BatchGetResult,
  type DataPlaneClient,
  type EntityKey,
  type EntryError,
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

export type RpcProtocol = "connect" | "grpc" | "grpc-web";

export interface ConnectClientOptions {
  /** Base URL of the server's HTTP port, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** RPC protocol, always over HTTP/2 (h2c for `http:` URLs). Default "connect". */
  readonly protocol?: RpcProtocol;
  /** Protobuf binary messages; false sends protobuf JSON (not for "grpc", which is binary only). Default true. */
  readonly binary?: boolean;
  /** Sent as `Authorization: Bearer <key>`. Default: none (a server with `--auth off`). */
  readonly apiKey?: string;
  /** Per-call deadline; 0 disables it. Default 30 000 ms. */
  readonly timeoutMs?: number;
}

type Rpc = Client<typeof DataPlaneService>;

/**
 * DataPlaneService through connect-es. The client owns its HTTP/2 session, so close() ends it and
 * the calls still on it. Connect errors carry the Tessera code in the `tessera-error-code` header
 * (trailer on gRPC); uint64 members (ack LSNs, registry versions) are converted to numbers.
 */
export class ConnectDataPlaneClient implements DataPlaneClient {
  readonly transport = "connect";
  private readonly session: Http2SessionManager;
  private readonly rpc: Rpc;
  private closed = false;

  constructor(options: ConnectClientOptions) {
    this.session = new Http2SessionManager(options.url);
    const interceptors: Interceptor[] = [];
    const apiKey = options.apiKey;
    if (apiKey !== undefined) {
      interceptors.push((next) => (req) => {
        req.header.set("authorization", `Bearer ${apiKey}`);
        return next(req);
      });
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const common = {
      baseUrl: options.url,
      sessionManager: this.session,
      interceptors,
      useBinaryFormat: options.binary ?? true,
      ...(timeoutMs > 0 ? { defaultTimeoutMs: timeoutMs } : {}),
    };
    let transport: Transport;
    switch (options.protocol ?? "connect") {
      case "connect":
        transport = createConnectTransport({ ...common, httpVersion: "2" });
        break;
      case "grpc":
        transport = createGrpcTransport(common);
        break;
      case "grpc-web":
        transport = createGrpcWebTransport({ ...common, httpVersion: "2" });
        break;
    }
    this.rpc = createClient(DataPlaneService, transport);
  }

  async register(nodes: readonly JsonObject[], options: RegisterOptions = {}): Promise<RegisterResult> {
    const res = await this.invoke(() =>
      this.rpc.register({ workspace: options.workspace ?? "", nodes: nodes as ProtoJsonObject[], force: options.force === true, dryRun: options.dryRun === true }),
    );
    if (res.diff !== undefined && res.status === "") {
      return {
        diff: {
          additive: res.diff.additive.map(camelEntry),
          destructive: res.diff.destructive.map(camelEntry),
          alreadyPresent: res.diff.alreadyPresent,
        },
        wouldApply: false,
      };
    }
    return {
      status: "ok",
      registryVersion: Number(res.registryVersion),
      registeredDescriptors: res.registeredDescriptors,
      added: res.added,
      alreadyPresent: res.alreadyPresent,
    };
  }

  async push(event: string, data: JsonObject, options: WorkspaceOption = {}): Promise<PushResult> {
    const res = await this.invoke(() => this.rpc.push({ workspace: options.workspace ?? "", event, data }));
    return { ackLsn: Number(res.ackLsn), idempotentReplay: res.idempotentReplay, registryVersion: Number(res.registryVersion) };
  }

  async pushBatch(events: readonly PushEvent[], options: WorkspaceOption = {}): Promise<PushBatchResult> {
    const res = await this.invoke(() =>
      this.rpc.pushBatch({ workspace: options.workspace ?? "", events: events.map((e) => ({ event: e.event, data: e.data })) }),
    );
    return {
      outcomes: res.outcomes.map((o) =>
        o.error !== undefined ? { error: entryError(o.error) } : { ackLsn: Number(o.ackLsn), idempotentReplay: o.idempotentReplay },
      ),
      registryVersion: Number(res.registryVersion),
    };
  }

  async get(table: string, key: EntityKey, options: GetOptions = {}): Promise<FeatureRow> {
    const res = await this.invoke(() => this.rpc.get({ workspace: options.workspace ?? "", ...getRequest({ table, key, features: options.features }) }));
    return (res.features ?? {}) as FeatureRow;
  }

  async batchGet(requests: readonly GetRequest[], options: WorkspaceOption = {}): Promise<BatchGetResult> {
    const res = await this.invoke(() => this.rpc.batchGet({ workspace: options.workspace ?? "", requests: requests.map(getRequest) }));
    return {
      results: res.results.map((r) => (r.error !== undefined ? { error: entryError(r.error) } : { features: (r.features ?? {}) as FeatureRow })),
    };
  }

  async ping(): Promise<PingResult> {
    const res = await this.invoke(() => this.rpc.ping({}));
    return { pong: true, serverVersion: res.serverVersion, registryVersion: Number(res.registryVersion) };
  }

  async reset(options: WorkspaceOption = {}): Promise<ResetResult> {
    const res = await this.invoke(() => this.rpc.reset({ workspace: options.workspace ?? "" }));
    return { reset: true, registryVersion: Number(res.registryVersion) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.session.abort();
  }

  private async invoke<T>(call: () => Promise<T>): Promise<T> {
    // The session manager would open a new session after abort(), so a closed client must refuse.
    if (this.closed) throw new TesseraClientError("unavailable", "the client is closed", { transport: this.transport });
    try {
      return await call();
    } catch (e) {
      if (this.closed) throw new TesseraClientError("unavailable", "the client was closed", { transport: this.transport, cause: e });
      throw errorFromConnect(e);
    }
  }
}

function getRequest(r: GetRequest): MessageInitShape<typeof GetRequestSchema> {
  const features = r.features === undefined ? { features: [], featuresSet: false } : { features: [...r.features], featuresSet: true };
  return typeof r.key === "string" ? { table: r.table, key: r.key, ...features } : { table: r.table, keySegments: [...r.key], ...features };
}

function entryError(e: ProtoEntryError): EntryError {
  return { code: e.code, message: e.message, details: e.details ?? {} };
}
