import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Engine } from "../../../src/engine/index.ts";
import type { Selection } from "./workload.ts";
import { action, assertSame, Driver, drain, HOUR, nodes, push, register, selection } from "./workload.ts";

/**
 * Snapshot round trip under load. Engine A and its twin B (same registrations and pushes) reach a
 * state; A begins a snapshot, and while its chunks are taken in small slices A goes on with random
 * pushes, reads and sweeps. The restored engine R must equal B (the state at begin) in everything
 * observable, stay equal to it under the same continuation, and register like it. A itself must
 * equal a third twin C that did the same work without a snapshot.
 */

function union(a: Selection, b: Selection): Selection {
  return a.map((fs, i) => [...new Set([...fs, ...(b[i] ?? [])])]);
}

/** 1100 distinct values in one bucket of one entity: n_unique, top_k and quantile leave their exact modes. */
function heavy(d: Driver): void {
  for (let i = 0; i < 1100; i++) {
    d.push("txn", { user: "heavy", merchant: `m${i % 3}`, amt: i * 1.25 - 300, n: i, s: `s${i}`, flag: i % 2 === 0, lat: i % 80, lon: -i % 170 });
  }
}

const scenario = fc.record({
  first: selection(10),
  added: fc.option(selection(6), { nil: undefined }),
  before: fc.array(push, { maxLength: 40 }),
  between: fc.array(push, { maxLength: 30 }),
  heavy: fc.boolean(),
  budget: fc.oneof(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 65_536 })),
  during: fc.array(action, { maxLength: 60 }),
  after: fc.array(action, { maxLength: 40 }),
  readAt: fc.array(fc.integer({ min: 0, max: 30 * HOUR }), { minLength: 1, maxLength: 3 }),
  later: selection(4),
});

describe("snapshots: restore equals the state at begin", () => {
  it("random registries over every operator, pushes, reads and sweeps interleaved with next()", () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const engines = [new Engine(), new Engine(), new Engine()];
        const [a, b, c] = engines.map((e) => new Driver(e)) as [Driver, Driver, Driver];
        const all = [a, b, c];
        const regs = sc.added === undefined ? [sc.first] : [sc.first, union(sc.first, sc.added)];
        for (const d of all) {
          register(d.e, { nodes: nodes(regs[0]!) });
          for (const p of sc.before) d.do(p);
          // An additive registration: kept tables get a layout of generation 1 (migrated entities).
          if (regs[1] !== undefined) register(d.e, { nodes: nodes(regs[1]) });
          for (const p of sc.between) d.do(p);
          if (sc.heavy) heavy(d);
        }

        // A's work during the snapshot (whatever is left when it ends is done after it).
        const s = a.e.beginSnapshot();
        let used = 0;
        const work = (): void => {
          const act = sc.during[used++]!;
          a.do(act);
          c.do(act);
        };
        const chunks = drain(s, sc.budget, () => {
          if (used < sc.during.length) work();
        });
        while (used < sc.during.length) work();
        const r = new Driver(Engine.fromSnapshot(chunks));
        r.t = b.t;
        r.lsn = b.lsn;

        const times = [b.t, ...sc.readAt.map((x) => b.t + x)];
        assertSame(r.e, b.e, times, "restored vs state at begin");
        assertSame(a.e, c.e, [a.t, a.t + HOUR], "snapshotted engine vs twin without snapshot");
        assert.deepStrictEqual(a.outcomes, c.outcomes, "push outcomes during the snapshot");

        for (const act of sc.after) {
          r.do(act);
          b.do(act);
        }
        assertSame(r.e, b.e, [b.t, b.t + 2 * HOUR], "after the same continuation");
        assert.deepStrictEqual(r.outcomes, b.outcomes.slice(b.outcomes.length - r.outcomes.length), "push outcomes (acks, dedupe replays)");

        // Registrations after restore: additive, dry run, destructive without and with force.
        const grown = union(regs.at(-1)!, sc.later);
        const shrunk = grown.map((fs) => fs.slice(0, 1));
        for (const envelope of [{ nodes: nodes(grown), dry_run: true }, { nodes: nodes(grown) }, { nodes: nodes(grown) }, { nodes: nodes(shrunk) }, { nodes: nodes(shrunk), force: true }]) {
          const outcome = (d: Driver): unknown => {
            try {
              return register(d.e, envelope);
            } catch (err) {
              return { code: (err as { code?: string }).code, details: (err as { details?: unknown }).details };
            }
          };
          assert.deepStrictEqual(outcome(r), outcome(b));
          for (const p of sc.after.slice(0, 5)) {
            r.do(p);
            b.do(p);
          }
        }
        assertSame(r.e, b.e, [b.t], "after registrations");
      }),
      { numRuns: Number(process.env.SNAPSHOT_RUNS ?? 40), endOnFailure: true },
    );
  });
});
