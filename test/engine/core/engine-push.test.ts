import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { checkPushFields, checkPushShape } from "../../../src/engine/state/push-validation.ts";
import { TesseraError } from "../../../src/errors/tessera-error.ts";
import { codeOf, engineWith, push, register, row, T0, TXN_EVENT, USER_TXN } from "./engine-fixture.ts";

describe("push validation (beava §4.2)", () => {
  const e = engineWith();
  const prep = (data: unknown, event = "txn") => () => e.preparePush("prod", event, data, T0);
  it("invalid_event for non-object data; absent data is {}", () => {
    for (const d of [null, 5, "x", [1]]) assert.equal(codeOf(prep(d)), "invalid_event");
    assert.equal(codeOf(prep(undefined)), "invalid_event", "{} lacks the required fields");
  });
  it("control_character_in_string anywhere (name, keys, values, nested), before event_not_found", () => {
    assert.equal(codeOf(prep({ user: "a\tb", amt: 1 })), "control_character_in_string");
    assert.equal(codeOf(prep({ user: "a", amt: 1, meta: { "k\n": 1 } })), "control_character_in_string");
    assert.equal(codeOf(prep({ user: "a", amt: 1, meta: ["\u0085"] })), "control_character_in_string");
    assert.equal(codeOf(prep({ user: "a" }, "nope\u0001")), "control_character_in_string");
  });
  it("a schema field whose name holds a control character is refused like any other (step 3 first)", () => {
    const odd = engineWith([{ kind: "event", name: "odd", schema: { fields: { "a\tb": "str", c: "f64" }, optional_fields: ["a\tb"] } }]);
    assert.equal(codeOf(() => odd.preparePush("prod", "odd", { "a\tb": "x", c: 1 }, T0)), "control_character_in_string");
    assert.equal(odd.preparePush("prod", "odd", { c: 1 }, T0).kind, "apply");
    // An unknown field before a control character in a value: step 3 wins, whatever the key order.
    assert.equal(codeOf(prep({ extra: 1, user: "a\u0085", amt: 1 })), "control_character_in_string");
    assert.equal(codeOf(prep({ user: "a", amt: "1", id: "\u0000" })), "control_character_in_string");
  });
  it("control characters are exactly Unicode Cc (U+0000–U+001F, U+007F–U+009F), in short and long strings", () => {
    // Around the code points that bound Cc, at lengths on both sides of the short-string loop's limit.
    const unit = fc.oneof(fc.integer({ min: 0, max: 0x2f }), fc.integer({ min: 0x70, max: 0xaf }), fc.integer({ min: 0, max: 0xffff })).map((c) => String.fromCharCode(c));
    const clean = fc.integer({ min: 0xa0, max: 0xffff }).map((c) => String.fromCharCode(c));
    // Short (the char-code loop) and long (the RegExp past 64), with and without control characters.
    const text = fc.oneof(fc.string({ unit, maxLength: 10 }), fc.string({ unit, minLength: 60, maxLength: 100 }), fc.string({ unit: clean, minLength: 60, maxLength: 100 }));
    fc.assert(
      fc.property(text, fc.constantFrom("value", "optional", "key", "top-level key", "nested", "event"), (s, where) => {
        // eslint-disable-next-line no-control-regex
        const control = /[\u0000-\u001f\u007f-\u009f]/.test(s);
        const top = where === "top-level key" && !["user", "merchant", "amt", "n", "ok", "meta", "id"].includes(s);
        const data =
          where === "value" ? { user: s, amt: 1 }
          : where === "optional" ? { user: "a", amt: 1, id: s }
          : where === "key" ? { user: "a", amt: 1, meta: { [s]: 1 } }
          : where === "top-level key" ? { ...(top ? { [s]: 1 } : {}), user: "a", amt: 1 }
          : where === "nested" ? { user: "a", amt: 1, meta: [[s]] }
          : { user: "a", amt: 1 };
        const want = control ? "control_character_in_string" : where === "event" && s !== "" ? "event_not_found" : top ? "unknown_field_v0" : "no error";
        assert.equal(codeOf(prep(data, where === "event" ? `txn${s}` : "txn")), want, JSON.stringify(s));
      }),
      { numRuns: 2000 },
    );
  });
  it("schema checks: the error (code and field) of steps 5 then 6 in their order, for random rows", () => {
    const fields = { s: "str", f: "f64", i: "i64", b: "bool", j: "json", o: "str" } as const;
    const wide = engineWith([{ kind: "event", name: "w", schema: { fields, optional_fields: ["o"] } }]);
    const value = fc.oneof(fc.string({ maxLength: 3 }), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([1]));
    const key = fc.constantFrom("s", "f", "i", "b", "j", "o", "extra", "event_time", "event_time_ms");
    // A valid row with up to three changes: a key dropped, or a key (known or not) set to any value.
    const valid = { s: "x", f: 1.5, i: 2, b: true, j: { k: 1 }, o: "y" };
    const change = fc.oneof(fc.record({ drop: key }), fc.record({ set: key, to: value }));
    const rows = fc.array(change, { maxLength: 3 }).map((changes) => {
      const row: Record<string, unknown> = { ...valid };
      for (const c of changes) {
        if ("drop" in c) delete row[c.drop];
        else row[c.set] = c.to;
      }
      return row;
    });
    const seen = new Set<string>();
    // The spec, written out: the first key outside the schema, then each required field in order.
    const expected = (row: Record<string, unknown>): { code: string; field?: string } => {
      for (const k of Object.keys(row)) {
        if (!(k in fields)) return { code: k === "event_time" || k === "event_time_ms" ? "unknown_field_event_time_v0" : "unknown_field_v0", field: k };
      }
      for (const [k, t] of Object.entries(fields)) {
        if (k === "o") continue;
        const v = row[k];
        if (v === undefined || v === null) return { code: "invalid_event", field: k };
        const ok = t === "str" ? typeof v === "string" : t === "bool" ? typeof v === "boolean" : t === "json" ? true : typeof v === "number";
        if (!ok) return { code: "invalid_event", field: k };
      }
      return { code: "no error" };
    };
    fc.assert(
      fc.property(rows, (row) => {
        let got: { code: string; field?: string } = { code: "no error" };
        try {
          wide.preparePush("prod", "w", row, T0);
        } catch (err) {
          got = { code: (err as { code: string }).code, field: (err as { details: { field?: string } }).details.field };
        }
        assert.deepEqual(got, expected(row), JSON.stringify(row));
        seen.add(`${got.code} ${got.field ?? ""}`);
      }),
      { numRuns: 3000 },
    );
    // Every outcome was reached: a valid row, each unknown-field code, each required field missing or mistyped.
    for (const o of ["no error ", "unknown_field_v0 extra", "unknown_field_event_time_v0 event_time", "invalid_event s", "invalid_event f", "invalid_event i", "invalid_event b", "invalid_event j"]) {
      assert.ok(seen.has(o), `never reached: ${o}`);
    }
  });
  it("the one-pass check accepts and refuses exactly as the steps in their order do (random payloads)", () => {
    // The ordered steps, written out from their parts: what preparePush ran for every push before.
    const odd = engineWith([TXN_EVENT, { kind: "event", name: "req", schema: { fields: { "r\u0085": "i64", c: "str" } } }]);
    /** "no error", or the thrown error's code and field. */
    const outcome = (f: () => void): string => {
      try {
        f();
        return "no error";
      } catch (err) {
        return `${(err as { code: string }).code} ${(err as { details?: { field?: string } }).details?.field ?? ""}`;
      }
    };
    const ordered = (event: string, data: unknown): string =>
      outcome(() => {
        const row = checkPushShape(event, data);
        const ev = odd.registry("prod").events.get(event);
        if (ev === undefined) throw new TesseraError("event_not_found", "step 4");
        checkPushFields(ev, row);
      });
    const now = (event: string, data: unknown): string => outcome(() => odd.preparePush("prod", event, data, T0));
    const nested = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : [nested(depth - 1, leaf)]);
    const value = fc.oneof(
      fc.constantFrom<unknown>("u", "", "a\tb", "\u0085", "z".repeat(70) + "\u0001", 1, -0, NaN, true, null, undefined, {}, [1]),
      fc.tuple(fc.integer({ min: 62, max: 66 }), fc.constantFrom<unknown>(1, "\n")).map(([d, leaf]) => nested(d, leaf)),
    );
    const key = fc.constantFrom("user", "amt", "merchant", "n", "ok", "meta", "id", "c", "r\u0085", "extra", "event_time", "k\n");
    const valid = { user: "u", amt: 1 };
    const payload = fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 5, "x", [1]) },
      { weight: 9, arbitrary: fc.tuple(fc.boolean(), fc.array(fc.tuple(key, value), { maxLength: 4 })).map(([base, kv]) => Object.assign(base ? { ...valid } : {}, Object.fromEntries(kv))) },
    );
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.constantFrom("txn", "req", "nope", "txn\u0001"), payload, (event, data) => {
        const want = ordered(event, data);
        assert.equal(now(event, data), want, JSON.stringify(data));
        seen.add(want === "no error" ? want : want.split(" ")[0]!);
      }),
      { numRuns: 3000 },
    );
    for (const o of ["no error", "invalid_event", "control_character_in_string", "event_not_found", "unknown_field_v0", "unknown_field_event_time_v0"]) assert.ok(seen.has(o), `never reached: ${o}`);
  });
  it("event_not_found for unknown events and table names", () => {
    assert.equal(codeOf(prep({ user: "a", amt: 1 }, "nope")), "event_not_found");
    assert.equal(codeOf(prep({ user: "a", amt: 1 }, "user_txn")), "event_not_found");
  });
  it("unknown fields: unknown_field_event_time_v0 / unknown_field_v0, before required-field checks", () => {
    assert.equal(codeOf(prep({ event_time: 1 })), "unknown_field_event_time_v0");
    assert.equal(codeOf(prep({ event_time_ms: 1 })), "unknown_field_event_time_v0");
    assert.equal(codeOf(prep({ bogus: 1 })), "unknown_field_v0");
  });
  it("required fields present, non-null, type-compatible; optional fields unchecked", () => {
    assert.equal(codeOf(prep({ user: "a" })), "invalid_event");
    assert.equal(codeOf(prep({ user: null, amt: 1 })), "invalid_event");
    assert.equal(codeOf(prep({ user: 1, amt: 1 })), "invalid_event");
    assert.equal(codeOf(prep({ user: "a", amt: "1" })), "invalid_event");
    assert.equal(codeOf(prep({ user: "a", amt: 1 })), "no error");
    assert.equal(codeOf(prep({ user: "a", amt: 1.5, n: "x", ok: 3, meta: null })), "no error");
  });
  it("workspace_not_found for an unknown workspace", () => {
    assert.equal(codeOf(() => e.preparePush("nope", "txn", {}, T0)), "workspace_not_found");
  });
  it("i64 fields accept any JSON number", () => {
    const e2 = engineWith([{ kind: "event", name: "txn", schema: { fields: { user: "str", amt: "i64" } } }, USER_TXN]);
    assert.equal(codeOf(() => e2.preparePush("prod", "txn", { user: "a", amt: 1.5 }, T0)), "no error");
  });
});

describe("push routing and entity creation (beava §2.2)", () => {
  it("routes to every table of the root event; filter-dropped creates nothing; where-failing still creates", () => {
    const small = { kind: "derivation", name: "small", output_kind: "table", upstreams: ["txn"], table_primary_key: ["user"], ops: [{ op: "filter", expr: "(amt < 10)" }, { op: "group_by", keys: ["user"], agg: { small_cnt: { op: "count" } } }] };
    const e = engineWith([TXN_EVENT, USER_TXN, small]);
    push(e, { user: "u", amt: 50 });
    assert.deepEqual(row(e, "user_txn", "u"), { cnt: 1, amt_sum: 50, amt_1h: 50, big: 0 });
    assert.equal(row(e, "small", "u"), null);
    push(e, { user: "u", amt: 5 });
    assert.deepEqual(row(e, "small", "u"), { small_cnt: 1 });
  });
  it("skips a table when a key value is missing or null", () => {
    const byMerchant = { kind: "derivation", name: "m", output_kind: "table", upstreams: ["txn"], table_primary_key: ["merchant"], ops: [{ op: "group_by", keys: ["merchant"], agg: { m_cnt: { op: "count" } } }] };
    const e = engineWith([TXN_EVENT, byMerchant]);
    push(e, { user: "u", amt: 1 });
    push(e, { user: "u", amt: 1, merchant: null });
    assert.equal(e.stats().entities, 0);
    push(e, { user: "u", amt: 1, merchant: "shop" });
    assert.deepEqual(row(e, "m", "shop"), { m_cnt: 1 });
  });
  it("canonicalises non-string keys so integer and boolean keys are readable", () => {
    const byN = { kind: "derivation", name: "by_n", output_kind: "table", upstreams: ["txn"], table_primary_key: ["n", "ok"], ops: [{ op: "group_by", keys: ["n", "ok"], agg: { n_cnt: { op: "count" } } }] };
    const e = engineWith([TXN_EVENT, byN]);
    push(e, { user: "u", amt: 1, n: 42, ok: true });
    assert.deepEqual(row(e, "by_n", "42|true"), { n_cnt: 1 });
    assert.deepEqual(row(e, "by_n", [42, true]), { n_cnt: 1 });
  });
  it("a global table is read with key \"\"", () => {
    const g = { kind: "derivation", name: "g", output_kind: "table", upstreams: ["txn"], table_primary_key: [], ops: [{ op: "group_by", keys: [], agg: { total: { op: "count" } } }] };
    const e = engineWith([TXN_EVENT, g]);
    assert.equal(row(e, "g", ""), null);
    push(e, { user: "a", amt: 1 });
    push(e, { user: "b", amt: 1 });
    assert.deepEqual(row(e, "g", ""), { total: 2 });
    assert.equal(codeOf(() => row(e, "g", "a")), "key_parse_failure");
  });
});

describe("dedupe (beava §4.4)", () => {
  const dedupeEvent = { ...TXN_EVENT, dedupe_key: "id", dedupe_window_ms: 1000 };
  it("replays the original ack within the window without changing state", () => {
    const e = engineWith([dedupeEvent, USER_TXN]);
    const first = push(e, { user: "u", amt: 1, id: "x" });
    const again = push(e, { user: "u", amt: 99, id: "x" }, T0 + 999);
    assert.deepEqual(again, { ack: first.ack, replay: true });
    assert.equal(row(e, "user_txn", "u", T0 + 999)!.cnt, 1);
    const later = push(e, { user: "u", amt: 1, id: "x" }, T0 + 1000);
    assert.equal(later.replay, false);
    assert.equal(row(e, "user_txn", "u", T0 + 1000)!.cnt, 2);
  });
  it("types the key (1 and \"1\" differ) and skips events without the key", () => {
    const ev = { kind: "event", name: "txn", dedupe_key: "meta", schema: TXN_EVENT.schema };
    const e = engineWith([ev, USER_TXN]);
    assert.equal(push(e, { user: "u", amt: 1, meta: 1 }).replay, false);
    assert.equal(push(e, { user: "u", amt: 1, meta: "1" }).replay, false);
    assert.equal(push(e, { user: "u", amt: 1, meta: 1 }).replay, true);
    assert.equal(push(e, { user: "u", amt: 1 }).replay, false);
    assert.equal(push(e, { user: "u", amt: 1 }).replay, false);
  });
  it("applyPush re-checks, so two prepared duplicates apply once", () => {
    const e = engineWith([dedupeEvent, USER_TXN]);
    const a = e.preparePush("prod", "txn", { user: "u", amt: 1, id: "y" }, T0);
    const b = e.preparePush("prod", "txn", { user: "u", amt: 1, id: "y" }, T0);
    assert.ok(a.kind === "apply" && b.kind === "apply");
    assert.deepEqual(e.applyPush(a.command, 10, T0), { replay: false, ackLsn: 10 });
    assert.deepEqual(e.applyPush(b.command, 11, T0), { replay: true, ackLsn: 10 });
    assert.equal(row(e, "user_txn", "u")!.cnt, 1);
  });
  it("expires by sweep, and reset clears it", () => {
    const e = engineWith([dedupeEvent, USER_TXN]);
    push(e, { user: "u", amt: 1, id: "a" });
    push(e, { user: "u", amt: 1, id: "b" }, T0 + 500);
    assert.equal(e.stats().dedupeEntries, 2);
    assert.equal(e.sweep(T0 + 1000), 1);
    assert.equal(e.stats().dedupeEntries, 1);
    e.reset("prod");
    assert.equal(e.stats().dedupeEntries, 0);
  });
});

describe("register applies", () => {
  it("keeps state of unchanged tables, starts added features empty, drops changed tables", () => {
    const other = { kind: "derivation", name: "other", output_kind: "table", upstreams: ["txn"], table_primary_key: ["user"], ops: [{ op: "group_by", keys: ["user"], agg: { o_cnt: { op: "count" } } }] };
    const e = engineWith([TXN_EVENT, USER_TXN, other]);
    push(e, { user: "u", amt: 5 });
    const v0 = e.registryVersion("prod");
    // Add a feature to user_txn (additive) and change other's op (destructive, forced).
    const withFeature = { kind: "derivation", name: "user_txn", output_kind: "table", upstreams: ["txn"], table_primary_key: ["user"], ops: [{ op: "group_by", keys: ["user"], agg: { ...(USER_TXN as { ops: { agg: object }[] }).ops[0]!.agg, amt_max: { op: "max", params: { field: "amt" } } } }] };
    const changedOther = { ...other, ops: [{ op: "group_by", keys: ["user"], agg: { o_cnt: { op: "count", params: { window: "1h" } } } }] };
    register(e, [TXN_EVENT, withFeature, changedOther]);
    assert.equal(e.registryVersion("prod"), v0 + 1);
    assert.deepEqual(row(e, "user_txn", "u"), { cnt: 1, amt_sum: 5, amt_1h: 5, big: 0, amt_max: null });
    assert.equal(row(e, "other", "u"), null);
  });
  it("reset clears registry and state and bumps the version", () => {
    const e = engineWith();
    push(e, { user: "u", amt: 5 });
    const v = e.registryVersion("prod");
    assert.equal(e.reset("prod"), v + 1);
    assert.equal(codeOf(() => row(e, "user_txn", "u")), "unknown_table");
    register(e, [TXN_EVENT, USER_TXN]);
    assert.equal(e.registryVersion("prod"), v + 2);
    assert.equal(row(e, "user_txn", "u"), null);
  });
});
