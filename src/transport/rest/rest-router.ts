import type { Caller } from "../../auth/caller.ts";
import { TesseraError } from "../../errors/tessera-error.ts";
import { asTesseraError, beavaError, gatewayError } from "../../errors/wire-errors.ts";
import type { HttpRequest, HttpResponse } from "../http/dual-protocol-server.ts";
import type { ServerMetrics } from "../metrics.ts";

/** What a REST handler returns: a status and a JSON body (already serialised when a string). */
export interface RestReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RestRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: HttpRequest["headers"];
  /** Who is calling: authenticated before the body is read (undefined on public routes). */
  readonly caller: Caller | undefined;
  /** The raw body, read up to the body limit. */
  body(): Promise<Buffer>;
}

export type RestHandler = (req: RestRequest) => RestReply | Promise<RestReply>;

/** How errors on a route are rendered: beava's `{"error":{code}}` or Tecton's grpc-gateway body. */
export type ErrorStyle = "beava" | "gateway";

/** `public` routes (health, readiness) are served without a credential. */
export type RouteAccess = "authenticated" | "public";

interface Route {
  readonly segments: readonly string[];
  readonly handlers: Map<string, RestHandler>;
  readonly errorStyle: ErrorStyle;
  readonly label: string;
  readonly access: RouteAccess;
}

export interface RestRouterOptions {
  /** Largest request body accepted. Default 4 MiB (beava). */
  readonly maxBodyBytes?: number;
  /**
   * Authenticates the Authorization header of a request to a non-public route before its body is
   * read (throws unauthenticated). Absent: every request runs with an undefined caller.
   */
  readonly authenticate?: (authorization: string | undefined) => Caller;
}

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The REST fast path. Routes are matched on the path only (a trailing slash and the query string are
 * ignored, as beava does); `:name` segments capture parameters. Requests that match no route fall
 * through to the next handler (the Connect adapter).
 */
export class RestRouter {
  private readonly exact = new Map<string, Route>();
  private readonly patterns: Route[] = [];
  private readonly maxBodyBytes: number;
  private readonly authenticate: RestRouterOptions["authenticate"];

  constructor(options: RestRouterOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.authenticate = options.authenticate;
  }

  add(method: string, path: string, handler: RestHandler, errorStyle: ErrorStyle = "beava", access: RouteAccess = "authenticated"): this {
    const segments = path.split("/").filter((s) => s !== "");
    const isPattern = segments.some((s) => s.startsWith(":"));
    let route = isPattern ? this.patterns.find((r) => r.label === path) : this.exact.get(path);
    if (route === undefined) {
      route = { segments, handlers: new Map(), errorStyle, label: path, access };
      if (isPattern) this.patterns.push(route);
      else this.exact.set(path, route);
    }
    route.handlers.set(method, handler);
    return this;
  }

  private match(path: string): { route: Route; params: Record<string, string> } | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return { route: exact, params: {} };
    const parts = path.split("/").filter((s) => s !== "");
    for (const route of this.patterns) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith(":")) {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        } else ok = seg === part;
      }
      if (ok) return { route, params };
    }
    return undefined;
  }

  /** Handles the request when a route matches; returns false to let the caller fall through. */
  handle(req: HttpRequest, res: HttpResponse, metrics: ServerMetrics): boolean {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    let path = q === -1 ? url : url.slice(0, q);
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
    const found = this.match(path);
    if (found === undefined) return false;
    const { route, params } = found;
    const start = performance.now();
    const handler = route.handlers.get(req.method ?? "GET");
    const finish = (reply: RestReply): void => {
      send(res, reply);
      metrics.observe(route.label, "rest", String(reply.status), start);
    };
    if (handler === undefined) {
      req.resume();
      const e = new TesseraError("method_not_allowed", undefined, { method: req.method, path });
      finish(this.renderError(e, route.errorStyle));
      return true;
    }
    let caller: Caller | undefined;
    if (this.authenticate !== undefined && route.access === "authenticated") {
      try {
        caller = this.authenticate(req.headers.authorization);
      } catch (e) {
        // Rejected before the body is read: it is discarded unparsed and the connection stays usable.
        req.resume();
        finish(this.renderError(asTesseraError(e), route.errorStyle));
        return true;
      }
    }
    const rr: RestRequest = {
      method: req.method ?? "GET",
      path,
      params,
      headers: req.headers,
      caller,
      body: () => readBody(req, this.maxBodyBytes),
    };
    Promise.resolve()
      .then(() => handler(rr))
      .then(finish, (e: unknown) => {
        const t = asTesseraError(e);
        // An oversized body is not drained: the connection is closed after the reply (beava).
        if (t.code === "http_protocol_error" && "setHeader" in res && req.httpVersionMajor === 1) {
          res.setHeader("connection", "close");
        }
        finish(this.renderError(t, route.errorStyle));
      });
    return true;
  }

  private renderError(e: TesseraError, style: ErrorStyle): RestReply {
    return style === "gateway" ? gatewayError(e) : beavaError(e);
  }
}

function readBody(req: HttpRequest, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? -1);
    if (declared > limit) {
      reject(new TesseraError("http_protocol_error", `request body exceeds ${limit} bytes`, { limit }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        reject(new TesseraError("http_protocol_error", `request body exceeds ${limit} bytes`, { limit }));
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}

export function send(res: HttpResponse, reply: RestReply): void {
  if (res.headersSent) return;
  const payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...reply.headers,
  };
  (res as { writeHead(status: number, headers: Record<string, string | number>): unknown }).writeHead(reply.status, headers);
  res.end(payload);
}
