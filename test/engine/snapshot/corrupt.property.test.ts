import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { Engine } from "../../../src/engine/index.ts";
import { CHUNK_HEADER_BYTES, CHUNK_TRAILER_BYTES } from "../../../src/engine/snapshot/format.ts";
import { TesseraError } from "../../../src/errors/tessera-error.ts";
import { Driver, drain, FEATURE_NAMES, MIN, nodes, register } from "./workload.ts";

/**
 * Damaged or foreign input: Engine.fromSnapshot throws TesseraError internal_error "snapshot: …"
 * and nothing else, and returns promptly (the runner's timeout catches a hang). Mutations that keep
 * the checksums valid (the CRC is recomputed) reach the decoder itself: it must then either restore
 * or refuse in the same way.
 */

/** A snapshot with every kind of record and of object state, in several chunks. */
const GOOD: readonly Uint8Array[] = (() => {
  const d = new Driver(new Engine());
  d.e.createWorkspace("other", true);
  register(d.e, { nodes: nodes([FEATURE_NAMES.filter((_f, i) => i % 3 === 0), FEATURE_NAMES.filter((_f, i) => i % 5 === 0), []]) });
  register(d.e, { nodes: nodes([FEATURE_NAMES.filter((_f, i) => i % 3 === 0), FEATURE_NAMES.filter((_f, i) => i % 5 !== 1), []]) }, "other");
  for (let i = 0; i < 200; i++) {
    d.t += MIN;
    d.push("txn", { user: `u${i % 40}`, merchant: `m${i % 3}`, amt: i / 3, n: i, s: `s${i % 7}`, flag: i % 2 === 0, j: { i }, lat: 10, lon: i % 20, id: `d${i}` });
    d.e.applyPush({ workspace: "other", event: "txn", data: { user: `o${i % 9}`, amt: i, s: "x", id: `o${i}` } }, 10_000 + i, d.t);
    if (i % 20 === 0) d.push("click", { page: "/", ms: i });
  }
  return drain(d.e.beginSnapshot(), 1 << 20);
})();

function outcome(chunks: Iterable<Uint8Array>): "ok" | string {
  try {
    Engine.fromSnapshot(chunks);
    return "ok";
  } catch (err) {
    if (err instanceof TesseraError && err.code === "internal_error" && err.message.startsWith("snapshot: ")) return err.message;
    return `unexpected ${String(err)}`;
  }
}

function refused(chunks: Iterable<Uint8Array>): void {
  const o = outcome(chunks);
  assert.ok(o !== "ok" && !o.startsWith("unexpected"), o);
}

/** A copy of the chunk with its CRC recomputed (so a mutation gets past the checksum). */
function resealed(c: Uint8Array): Uint8Array {
  const out = c.slice();
  const v = new DataView(out.buffer);
  const end = out.byteLength - CHUNK_TRAILER_BYTES;
  v.setUint32(end, crc32(out.subarray(0, end)), true);
  return out;
}

const copy = (): Uint8Array[] => GOOD.map((c) => c.slice());

describe("snapshots: damaged input", () => {
  it("the good snapshot restores (several chunks)", () => {
    assert.ok(GOOD.length >= 2, `${GOOD.length} chunks`);
    assert.equal(outcome(GOOD), "ok");
  });

  it("missing, repeated, reordered or extra chunks", () => {
    refused([]);
    refused(GOOD.slice(0, -1));
    refused(GOOD.slice(1));
    refused([GOOD[0]!, ...GOOD]);
    refused([...GOOD, GOOD.at(-1)!]);
    refused([GOOD[1]!, GOOD[0]!, ...GOOD.slice(2)]);
    refused(GOOD.filter((_c, i) => i !== 1));
    refused([new Uint8Array(0)]);
    refused(["not bytes" as unknown as Uint8Array]);
  });

  it("a truncated chunk", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (ci, cut) => {
        const chunks = copy();
        const i = ci % chunks.length;
        chunks[i] = chunks[i]!.subarray(0, cut % chunks[i]!.byteLength);
        refused(chunks);
      }),
      { numRuns: 100 },
    );
  });

  it("random bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 4096 }), { maxLength: 4 }), (chunks) => refused(chunks)),
      { numRuns: 200 },
    );
  });

  it("flipped bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const chunks = copy();
        for (const [ci, at, x] of flips) {
          const c = chunks[ci % chunks.length]!;
          c[at % c.byteLength]! ^= x;
        }
        refused(chunks);
      }),
      { numRuns: 300 },
    );
  });

  it("a wrong format version (checksum valid)", () => {
    for (const version of [0, 2, 0xffff]) {
      const chunks = copy();
      new DataView(chunks[0]!.buffer).setUint16(4, version, true);
      chunks[0] = resealed(chunks[0]!);
      assert.match(outcome(chunks), /unsupported format version/);
    }
  });

  it("mutated payloads with valid checksums: restored or refused, never another error", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.oneof(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips) => ({ kind: "flip" as const, flips })),
          fc.tuple(fc.nat(), fc.nat({ max: 64 })).map(([at, n]) => ({ kind: "cut" as const, at, n })),
          fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 32 })).map(([at, bytes]) => ({ kind: "insert" as const, at, bytes })),
        ),
        (ci, m) => {
          const chunks = copy();
          const i = ci % chunks.length;
          const c = chunks[i]!;
          const payload = c.subarray(CHUNK_HEADER_BYTES, c.byteLength - CHUNK_TRAILER_BYTES);
          let mutated: Uint8Array;
          if (m.kind === "flip") {
            mutated = payload.slice();
            for (const [at, x] of m.flips) mutated[at % mutated.byteLength]! ^= x;
          } else {
            const at = m.at % (payload.byteLength + 1);
            mutated = m.kind === "cut" ? Buffer.concat([payload.subarray(0, at), payload.subarray(at + m.n)]) : Buffer.concat([payload.subarray(0, at), m.bytes, payload.subarray(at)]);
          }
          const out = new Uint8Array(CHUNK_HEADER_BYTES + mutated.byteLength + CHUNK_TRAILER_BYTES);
          out.set(c.subarray(0, CHUNK_HEADER_BYTES));
          out.set(mutated, CHUNK_HEADER_BYTES);
          new DataView(out.buffer).setUint32(12, mutated.byteLength, true);
          chunks[i] = resealed(out);
          const o = outcome(chunks);
          assert.ok(!o.startsWith("unexpected"), o);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("an iterable that throws is reported as a snapshot error", () => {
    function* broken(): Generator<Uint8Array> {
      yield GOOD[0]!;
      throw new Error("disk on fire");
    }
    assert.match(outcome(broken()), /disk on fire/);
  });
});
