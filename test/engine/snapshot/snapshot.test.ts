import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Engine } from "../../../src/engine/index.ts";
import { CHUNK_TARGET_BYTES, FORMAT_VERSION } from "../../../src/engine/snapshot/format.ts";
import { TesseraError } from "../../../src/errors/tessera-error.ts";
import { assertSame, Driver, drain, FEATURE_NAMES, HOUR, MIN, nodes, register, T0 } from "./workload.ts";

/** Lifecycle of a snapshot: dedupe, whole-registry changes while it runs, abort, workspaces, chunking. */

const SEL = [FEATURE_NAMES.filter((_f, i) => i % 4 === 0), FEATURE_NAMES.filter((_f, i) => i % 9 === 1), []];

/** Two identical engines with a few users' history. */
function twins(extra: (d: Driver) => void = () => {}): [Driver, Driver] {
  const pair = [new Driver(new Engine()), new Driver(new Engine())] as const;
  for (const d of pair) {
    register(d.e, { nodes: nodes(SEL) });
    for (let i = 0; i < 60; i++) {
      d.t += 3 * MIN;
      d.push("txn", { user: `u${i % 5}`, merchant: `m${i % 3}`, amt: i - 20, n: i % 7, s: "abcde"[i % 5]!, flag: i % 2 === 0, id: `id${i}` });
      if (i % 10 === 0) d.push("click", { page: `/${i}`, ms: i });
    }
    extra(d);
  }
  return [pair[0], pair[1]];
}

function restore(chunks: Uint8Array[]): Engine {
  return Engine.fromSnapshot(chunks);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof TesseraError ? err.code : `not a TesseraError: ${String(err)}`;
  }
  return undefined;
}

describe("snapshots: dedupe", () => {
  it("a replayed dedupe key reports the original ack LSN after restore, also when re-recorded during the snapshot", () => {
    const [a, b] = twins();
    const begin = b.lsn;
    const s = a.e.beginSnapshot();
    s.next(100);
    // id0..id49 have expired (30 min window, pushes 3 min apart): re-recording one and sweeping
    // change frozen entries (copy-on-write).
    a.t += MIN;
    a.push("txn", { user: "u0", id: "id1" });
    a.e.sweep(a.t);
    const r = new Driver(restore(drain(s, 100)));
    r.t = b.t;
    r.lsn = b.lsn;
    const replays: number[] = [];
    for (let i = 0; i < 60; i++) {
      const want = b.push("txn", { user: "u9", id: `id${i}` });
      assert.deepStrictEqual(r.push("txn", { user: "u9", id: `id${i}` }), want, `id${i}`);
      if (want.replay) replays.push(want.ack);
    }
    assert.equal(replays.length, 10);
    for (const ack of replays) assert.ok(ack <= begin, `original ack ${ack}`);
    assert.equal(r.e.stats().dedupeEntries, b.e.stats().dedupeEntries);
  });
});

describe("snapshots: whole-registry changes while one is in progress", () => {
  const cases: [string, (e: Engine) => void][] = [
    ["an additive registration", (e) => register(e, { nodes: nodes([[...SEL[0]!, "w3_1", "l5"], SEL[1]!, []]) })],
    ["a destructive registration (force)", (e) => register(e, { nodes: nodes([SEL[0]!.slice(1), SEL[1]!, []]), force: true })],
    ["a reset of the workspace", (e) => e.reset("prod")],
    ["a reset of everything", (e) => e.reset()],
    ["deleting a workspace", (e) => e.deleteWorkspace("other")],
  ];
  for (const [name, change] of cases) {
    it(`${name} after some next() calls: the snapshot is still the state at begin`, () => {
      const setup = (d: Driver): void => {
        d.e.createWorkspace("other", false);
        register(d.e, { nodes: nodes(SEL) }, "other");
        d.e.applyPush({ workspace: "other", event: "txn", data: { user: "o1", amt: 5, id: "o" } }, 999, d.t);
      };
      const [a, b] = twins(setup);
      const s = a.e.beginSnapshot();
      const chunks = [...s.next(200), ...s.next(200)];
      a.t += MIN;
      a.push("txn", { user: "u1", amt: 1 });
      change(a.e);
      // applyPush ignores an event the change removed.
      a.e.applyPush({ workspace: "prod", event: "txn", data: { user: "u1", amt: 2, id: "id58" } }, ++a.lsn, a.t);
      a.e.sweep(a.t + 10 * HOUR);
      chunks.push(...drain(s, 300));
      assertSame(restore(chunks), b.e, [b.t, b.t + HOUR], name);
      // The engine goes on, and can snapshot again.
      assertSame(restore(drain(a.e.beginSnapshot(), 1 << 20)), a.e, [a.t], `${name}: a second snapshot`);
    });
  }
});

describe("snapshots: lifecycle", () => {
  it("abort leaves the engine as if there had been no snapshot; next() afterwards fails", () => {
    const [a, b] = twins();
    const s = a.e.beginSnapshot();
    s.next(500);
    for (const d of [a, b]) {
      d.t += 2 * MIN;
      for (let i = 0; i < 10; i++) d.push("txn", { user: `u${i}`, amt: i, id: `x${i}` });
    }
    s.abort();
    s.abort();
    assert.equal(codeOf(() => s.next(100)), "failed_precondition");
    assert.equal(s.done, false);
    for (const d of [a, b]) d.e.sweep(d.t + 7 * HOUR);
    assertSame(a.e, b.e, [a.t, a.t + HOUR], "after abort");
    assertSame(restore(drain(a.e.beginSnapshot(), 4096)), b.e, [b.t], "a snapshot after the abort");
  });

  it("one snapshot at a time; abort after done is harmless", () => {
    const [a] = twins();
    const s = a.e.beginSnapshot();
    assert.equal(codeOf(() => a.e.beginSnapshot()), "failed_precondition");
    const chunks = drain(s, 1 << 20);
    assert.equal(s.done, true);
    assert.deepStrictEqual(s.next(100), []);
    s.abort();
    assertSame(restore(chunks), a.e, [a.t], "after abort of a finished snapshot");
  });

  it("workspaces (live flag, default workspace), counters and watermarks are restored", () => {
    const e = new Engine({ defaultWorkspace: "main" });
    e.createWorkspace("staging", false);
    register(e, { nodes: nodes(SEL, 10 * MIN) }, "staging");
    e.applyPush({ workspace: "staging", event: "txn", data: { user: "x", amt: 1 } }, 1, T0);
    e.applyPush({ workspace: "staging", event: "txn", data: { user: "x", amt: 2 } }, 2, T0 + HOUR);
    e.reset("main");
    e.createWorkspace("gone", true);
    register(e, { nodes: nodes(SEL, 10 * MIN) }, "gone");
    e.applyPush({ workspace: "gone", event: "txn", data: { user: "y", amt: 1 } }, 3, T0);
    e.sweep(T0 + HOUR);
    e.deleteWorkspace("gone");
    const r = restore(drain(e.beginSnapshot(), 1000));
    assertSame(r, e, [T0 + HOUR], "workspaces");
    assert.equal(r.registryVersion("main"), 1);
    assert.equal(codeOf(() => r.deleteWorkspace("main")), "failed_precondition");
    assert.equal(r.stats().coldEvictions, 2);
    // The default workspace may be named by the options, if the snapshot has it.
    assert.equal(codeOf(() => Engine.fromSnapshot(drain(e.beginSnapshot(), 1 << 20), { defaultWorkspace: "staging" }).deleteWorkspace("staging")), "failed_precondition");
    const bad = codeOf(() => Engine.fromSnapshot(drain(e.beginSnapshot(), 1 << 20), { defaultWorkspace: "prod" }));
    assert.equal(bad, "internal_error");
  });

  it("an empty engine round-trips", () => {
    const e = new Engine();
    const chunks = drain(e.beginSnapshot(), 0);
    assert.equal(chunks.length, 1);
    assertSame(restore(chunks), e, [T0], "empty");
  });

  it("chunks: the stream starts with the format version; chunks are about the target size", () => {
    const [a] = twins((d) => {
      for (let i = 0; i < 3000; i++) d.push("txn", { user: `bulk${i}`, merchant: "m1", amt: i, s: "q", n: i, id: `b${i}` });
    });
    const s = a.e.beginSnapshot();
    const chunks: Uint8Array[] = [];
    let calls = 0;
    while (!s.done) {
      chunks.push(...s.next(64 * 1024));
      calls++;
    }
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    assert.ok(calls >= chunks.length, "a 64 KiB budget returns at most one 256 KiB chunk per call");
    assert.equal(new DataView(chunks[0]!.buffer, chunks[0]!.byteOffset).getUint16(4, true), FORMAT_VERSION);
    for (const c of chunks.slice(0, -1)) assert.ok(c.byteLength >= CHUNK_TARGET_BYTES && c.byteLength < CHUNK_TARGET_BYTES + 64 * 1024, `chunk of ${c.byteLength} bytes`);
    assertSame(restore(chunks), a.e, [a.t], "bulk");
  });
});
