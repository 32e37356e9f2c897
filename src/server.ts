import { Code, ConnectError } from "@connectrpc/connect";
import { formatAddress, type ListenAddress, type TesseraConfig } from "./config.ts";
import type { Engine } from "./engine/index.ts";
import { TesseraError } from "./errors/tessera-error.ts";
import { beavaError } from "./errors/wire-errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import { AdminServer } from "./transport/admin/admin-server.ts";
import { createConnectHandler } from "./transport/connect/connect-handler.ts";
import { HealthState, ServingStatus } from "./transport/connect/health-service.ts";
import { connectRoutes, TESSERA_SERVICES, type ServiceImpls } from "./transport/connect/routes.ts";
import { DualProtocolServer, type RequestHandler } from "./transport/http/dual-protocol-server.ts";
import { ServerMetrics } from "./transport/metrics.ts";
import { RestRouter, send } from "./transport/rest/rest-router.ts";
import { addBeavaRoutes } from "./transport/rest/beava-routes.ts";
import { addTectonRoutes } from "./transport/rest/tecton-routes.ts";
import { dataPlaneServiceImpl } from "./transport/connect/data-plane-service.ts";
import { featureServiceImpl } from "./transport/connect/feature-service.ts";
import { workspaceServiceImpl } from "./transport/connect/workspace-service.ts";
import { TcpServer } from "./transport/tcp/tcp-server.ts";
import { systemClock, TestClock } from "./service/clock.ts";
import { DataPlane } from "./service/data-plane.ts";
import { FeatureServing } from "./service/feature-serving.ts";
import { Workspaces } from "./service/workspaces.ts";
import { SERVER_VERSION } from "./version.ts";
import { Authenticator } from "./auth/authenticator.ts";
import { AuthAdmin } from "./service/auth-admin.ts";
import { AuditLog } from "./service/auth-audit.ts";
import { loadBootKeys } from "./service/auth-bootstrap.ts";
import { ControlPlaneWriter } from "./service/auth-control-plane.ts";
import { openDurableState } from "./service/durable-state.ts";
import type { Snapshotter } from "./service/snapshotter.ts";
import { AccessControl } from "./service/authorization.ts";
import { Secrets } from "./service/secrets-service.ts";
import { authGate, authServiceImpl } from "./transport/connect/auth-service.ts";
import { secretsServiceImpl } from "./transport/connect/secrets-service.ts";
import { addAuthRoutes } from "./transport/rest/auth-routes.ts";
import { addSecretsRoutes } from "./transport/rest/secrets-routes.ts";

export interface StartOptions {
  readonly config: TesseraConfig;
  /** Defaults to a pino logger on stderr at config.logLevel. */
  readonly logger?: Logger;
  /** Time in-flight requests get to finish on shutdown before connections are cut. Default 10 000 ms. */
  readonly drainTimeoutMs?: number;
  /** How often cold entities and expired dedupe entries are swept. Default 10 000 ms. */
  readonly sweepIntervalMs?: number;
}

export interface RunningServer {
  readonly http: ListenAddress;
  readonly tcp: ListenAddress | null;
  readonly admin: ListenAddress;
  readonly metrics: ServerMetrics;
  /** The line printed on stdout once everything is up. */
  readonly readyLine: string;
  /** Graceful shutdown: NOT_SERVING, stop accepting, drain HTTP/1.1 and HTTP/2, close listeners. */
  close(): Promise<void>;
}

/** Starts every listener of a Tessera server and resolves once it is ready. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new ServerMetrics();
  const health = new HealthState(TESSERA_SERVICES.map((s) => s.typeName));
  const testClock = config.testMode ? new TestClock() : undefined;
  const clock = testClock ?? systemClock;
  let ready = false;
  // Auth and secrets (DESIGN §6): keys first, then the control-plane state the log replays into.
  const keys = loadBootKeys(config, logger);
  const state = await openDurableState({
    config,
    clock,
    logger,
    metrics,
    onLogFailure: () => {
      ready = false;
      health.setAll(ServingStatus.NOT_SERVING);
    },
  });
  const { engine, controlPlane, log } = state;
  const authRequired = config.auth === "required";
  const access = new AccessControl(authRequired, controlPlane.auth);
  const authenticator = authRequired ? new Authenticator(controlPlane.auth, keys.adminKey) : undefined;
  const audit = new AuditLog(logger);
  const serving = new FeatureServing({ engine, clock, access });
  const plane = new DataPlane({ engine, log, clock, testClock, serverVersion: SERVER_VERSION, onRegistryPlanned: (_ws, next) => serving.prepareRegistry(next), access });
  const controlWriter = new ControlPlaneWriter(controlPlane, log, clock);
  const workspaceExists = (name: string): boolean => engine.listWorkspaces().some((w) => w.name === name);
  const authAdmin = new AuthAdmin({ writer: controlWriter, access, audit, workspaceExists, scopeExists: (name) => controlPlane.secrets.scopes.has(name) });
  const secrets = new Secrets({ writer: controlWriter, access, audit, masterKey: keys.masterKey });
  const shutdown = new AbortController();

  const impls: ServiceImpls = {
    dataPlane: dataPlaneServiceImpl(plane),
    featureService: featureServiceImpl(serving),
    workspace: workspaceServiceImpl(new Workspaces({ engine, log, clock, access, audit, onDeleted: (name) => controlPlane.workspaceDeleted(name) })),
    auth: authServiceImpl(authAdmin),
    secrets: secretsServiceImpl(secrets),
  };
  const rest = new RestRouter(authenticator === undefined ? {} : { authenticate: (header) => authenticator.fromHeader(header) });
  rest
    .add("GET", "/health", () => ({ status: 200, body: { status: "ok" } }), "beava", "public")
    .add("GET", "/ready", () => (ready ? { status: 200, body: { status: "ready" } } : { status: 503, body: { status: "not_ready" } }), "beava", "public");
  addBeavaRoutes(rest, plane);
  addTectonRoutes(rest, serving);
  addAuthRoutes(rest, authAdmin);
  addSecretsRoutes(rest, secrets);

  const notFound: RequestHandler = (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const { status, body } = beavaError(new TesseraError("not_found", undefined, { path }));
    send(res, { status, body });
  };
  const connect = createConnectHandler({
    routes: connectRoutes(impls, health),
    metrics,
    shutdownSignal: shutdown.signal,
    fallback: notFound,
    ...(authenticator === undefined ? {} : { requestGate: authGate(authenticator) }),
  });
  const front = new DualProtocolServer((req, res) => {
    if (!rest.handle(req, res, metrics)) connect(req, res);
  });
  const admin = new AdminServer({
    metrics,
    isReady: () => ready,
    registry: () => registrySummary(engine),
    ...(state.snapshotter === undefined ? {} : { snapshot: () => snapshotNow(state.snapshotter!) }),
  });

  const tcp =
    config.tcp === null
      ? null
      : new TcpServer({ plane, metrics, logger, ...(authenticator === undefined ? {} : { authenticate: (key: unknown) => authenticator.fromKey(key) }) });

  const httpAddr = await front.listen(config.http);
  const tcpAddr = tcp === null || config.tcp === null ? null : await tcp.listen(config.tcp);
  const adminAddr = await admin.listen(config.admin);
  const sweep = setInterval(() => engine.sweep(clock.now()), options.sweepIntervalMs ?? 10_000);
  sweep.unref();
  health.setAll(ServingStatus.SERVING);
  ready = true;
  const tcpText = tcpAddr === null ? "off" : formatAddress(tcpAddr);
  const readyLine = `tessera ready http=${formatAddress(httpAddr)} tcp=${tcpText} admin=${formatAddress(adminAddr)}`;
  logger.info({ http: formatAddress(httpAddr), tcp: tcpText, admin: formatAddress(adminAddr) }, "tessera ready");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info("shutting down: draining connections");
      ready = false;
      health.setAll(ServingStatus.NOT_SERVING);
      clearInterval(sweep);
      const drainMs = options.drainTimeoutMs ?? 10_000;
      const drained = Promise.all([front.close(drainMs), tcp?.close(drainMs)]);
      // Long-lived streams (health Watch) get a moment to deliver NOT_SERVING, then end.
      const endStreams = setTimeout(
        () => shutdown.abort(new ConnectError("server is shutting down", Code.Unavailable)),
        250,
      );
      await drained;
      clearTimeout(endStreams);
      shutdown.abort(new ConnectError("server is shutting down", Code.Unavailable));
      await state.close();
      await admin.close();
      logger.info("shutdown complete");
      logger.flush();
    })();
    return closing;
  };

  return { http: httpAddr, tcp: tcpAddr, admin: adminAddr, metrics, readyLine, close };
}

/** The admin POST /snapshot body: what was written, or the snapshot the state already matches. */
async function snapshotNow(snapshotter: Snapshotter): Promise<{ written: boolean; lsn: number; bytes?: number; duration_ms?: number; max_pause_ms?: number }> {
  const info = await snapshotter.snapshot();
  if (info === undefined) return { written: false, lsn: snapshotter.snapshotLsn };
  return { written: true, lsn: info.lsn, bytes: info.bytes, duration_ms: Math.round(info.durationMs), max_pause_ms: Number(info.maxPauseMs.toFixed(3)) };
}

/** The admin /registry body: per workspace, whether it is live, its registry version and node count. */
function registrySummary(engine: Engine): { workspaces: Record<string, { live: boolean; version: number; node_count: number }> } {
  const workspaces: Record<string, { live: boolean; version: number; node_count: number }> = {};
  for (const ws of engine.listWorkspaces()) {
    const registry = engine.registry(ws.name);
    workspaces[ws.name] = { live: ws.live, version: registry.version, node_count: registry.nodes.length };
  }
  return { workspaces };
}
