import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { rng } from "../../bench/lib/random.ts";
import { ConnectDataPlaneClient, HttpDataPlaneClient, TesseraClientError } from "../../src/client/index.ts";
import { body, FrameSocket, MSGPACK_CT, OP } from "../helpers/tcp-frames.ts";
import { ERROR, metric, readyStatus, startDurable, startExpectingFailure, tempDataDir, type FailedStart } from "./durable-server.ts";
import { loggedPushes } from "./logged-pushes.ts";
import { pushUntilFailure } from "./push-load.ts";
import { oracle, servedRows, txnSource, TXN, USER_STATS } from "./txn-workload.ts";

/** `nobody`: a root test run is not denied anything by file modes, so the server runs as another user. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** A refusal is the CLI's one-line error and exit code 1, not a crash: no uncaught exception, no signal. */
function assertCleanRefusal(run: FailedStart, dir: string): void {
  assert.equal(run.signal, null, run.stderr);
  assert.equal(run.code, 1, run.stderr);
  const plain = run.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("{"));
  assert.equal(plain.length, 1, `one plain line besides the structured log:\n${run.stderr}`);
  // Whichever part of the server touches the data dir first (the command log, the key files) reports it.
  assert.match(plain[0]!, /^tessera: start-up failed: /);
  assert.ok(plain[0]!.includes(dir), `the message names the directory: ${plain[0]}`);
  assert.doesNotMatch(run.stderr, /Uncaught|node:internal|Unhandled/);
}

describe("a data dir the server cannot write: it refuses to start with a clear error", () => {
  test("the data dir is read-only", { timeout: 30_000 }, async (t) => {
    const root = tempDataDir(t);
    // The server (as nobody when the test is root) may enter the temp dir, but not write the data dir.
    chmodSync(root, 0o755);
    const dataDir = join(root, "data");
    mkdirSync(dataDir, { mode: 0o555 });
    chmodSync(dataDir, 0o555);
    assertCleanRefusal(await startExpectingFailure(dataDir, asRoot ? { uid: NOBODY } : {}), dataDir);
  });

  test("the data dir is a file", { timeout: 30_000 }, async (t) => {
    const dataDir = join(tempDataDir(t), "data");
    writeFileSync(dataDir, "not a directory\n");
    assertCleanRefusal(await startExpectingFailure(dataDir), dataDir);
  });
});

test("the disk fills while running (ulimit -f, EFBIG): pushes are refused on every wire, /ready turns 503, nothing more is acked", { timeout: 60_000 }, async (t) => {
  const dir = tempDataDir(t);
  const server = await startDurable(dir, { fileSizeLimitKiB: 48 });
  t.after(() => server.kill());
  const http = new HttpDataPlaneClient({ url: server.url });
  t.after(() => http.close());
  await http.register([TXN, USER_STATS]);
  assert.equal(await readyStatus(server), 200);

  // Concurrent pushes until the segment reaches the size limit and every pusher has been refused.
  const next = txnSource(rng(77), "f");
  const load = await pushUntilFailure(server, { httpClients: 1, httpWorkers: 4, tcpClients: 1, tcpDepth: 8 }, next).done;
  assert.ok(load.acked.size > 100, `pushes were acknowledged until the disk filled (${load.acked.size})`);
  assert.deepEqual([...load.errorCodes], ["wal_unavailable"]);
  assert.equal(await readyStatus(server), 503, "the admin /ready turns 503");
  assert.equal(await metric(server, "tessera_log_failed"), 1);
  const failure = server.logs().find((l) => l.level === ERROR && /wal_unavailable/.test(l.msg));
  assert.ok(failure !== undefined && /EFBIG/.test(failure.msg), `the log failure is logged with its cause:\n${server.stderr()}`);

  // Every wire answers wal_unavailable with its own status, and nothing is acknowledged any more.
  const res = await fetch(`${server.url}/push`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "txn", data: next() }) });
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, "wal_unavailable");

  const tcp = await FrameSocket.open(server.tcp!);
  t.after(() => tcp.close());
  const reply = await tcp.call(OP.PUSH, MSGPACK_CT, { event: "txn", data: next() });
  assert.equal(reply.op, OP.ERROR);
  assert.equal(body(reply).error.code, "wal_unavailable");

  const connect = new ConnectDataPlaneClient({ url: server.url });
  t.after(() => connect.close());
  await assert.rejects(connect.push("txn", next()), (e: TesseraClientError) => e.grpcCode === Code.Unavailable && e.code === "wal_unavailable");

  // A replay of an acknowledged push is still answered (it was durable); one of a refused push is not.
  const [ackedId, ackedLsn] = [...load.acked][0]!;
  const ackedTxn = load.sent.find((x) => x.id === ackedId)!;
  assert.deepEqual(await http.push("txn", ackedTxn), { ackLsn: ackedLsn, idempotentReplay: true, registryVersion: 1 });
  for (const txn of load.inFlight) {
    await assert.rejects(http.push("txn", txn), (e: TesseraClientError) => e.code === "wal_unavailable" && e.status === 503);
  }
  const late = await pushUntilFailure(server, { httpClients: 1, httpWorkers: 2, tcpClients: 1, tcpDepth: 2 }, next).done;
  assert.equal(late.acked.size, 0, "no push is acknowledged after the failure");
  assert.deepEqual([...late.errorCodes], ["wal_unavailable"]);
  await server.kill();

  // Without the limit the server recovers every acknowledged push, and takes new ones after them.
  const log = loggedPushes(dir);
  for (const [id, lsn] of load.acked) assert.equal(log.pushes.get(id)?.lsn, lsn, `acked ${id} survived`);
  const again = await startDurable(dir);
  t.after(() => again.kill());
  t.diagnostic(`acked ${load.acked.size}, refused ${load.inFlight.length}; the log holds ${log.pushes.size} pushes; its tail: ${log.damage ?? "clean"}`);
  assert.deepEqual(await servedRows(again), oracle([...log.pushes.values()].map((p) => p.txn)));
  const recovered = new HttpDataPlaneClient({ url: again.url });
  const fresh = await recovered.push("txn", next());
  assert.equal(fresh.ackLsn, log.lastLsn + 1);
  await recovered.close();
  assert.equal(await readyStatus(again), 200);
  assert.equal(await again.stop(), 0);
});
