import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TesseraError } from "../../../src/errors/tessera-error.ts";
import { TXN, USER_TXN, empty, planner, reg } from "./helpers.ts";

/** Any input either plans or throws a TesseraError — never another exception. */
function neverCrashes(envelope: unknown): void {
  try {
    planner.planRegistration(cur, envelope);
  } catch (e) {
    if (!(e instanceof TesseraError)) throw e;
  }
}

const cur = reg(empty(), [TXN, USER_TXN]);
const RT = { kind: "realtime", name: "rt", request_schema: { fields: { amt: "f64" } }, tables: ["user_txn"], features: { x: "(amt > 1.0)" } };
const FS = { kind: "feature_service", name: "svc", features: [{ table: "user_txn" }, { realtime: "rt" }] };
const VALID = [TXN, USER_TXN, RT, FS];

test("arbitrary JSON envelopes never crash the planner", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      neverCrashes(v);
      neverCrashes({ nodes: v });
      neverCrashes({ nodes: [v] });
      neverCrashes({ nodes: [TXN, v], force: true });
    }),
    { numRuns: 300 },
  );
});

/** Replaces one value somewhere inside `v` (path chosen by `pick`) with `r`. */
function mutate(v: unknown, pick: number, r: unknown): unknown {
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach((c, i) => (slots.push({ parent: x, key: i }), walk(c)));
    else if (x !== null && typeof x === "object") for (const [k, c] of Object.entries(x)) (slots.push({ parent: x as Record<string, unknown>, key: k }), walk(c));
  };
  const copy = structuredClone(v);
  walk(copy);
  if (slots.length === 0) return copy;
  const s = slots[pick % slots.length]!;
  (s.parent as Record<string | number, unknown>)[s.key] = r;
  return copy;
}

test("single mutations of a valid payload never crash the planner", () => {
  fc.assert(
    fc.property(fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (pick, r, force) => {
      neverCrashes({ nodes: mutate(VALID, pick, r), force });
    }),
    { numRuns: 1000 },
  );
});

test("the valid payload used by the fuzzers is valid", () => {
  assert.equal(planner.planRegistration(cur, { nodes: VALID }).kind, "apply");
});
