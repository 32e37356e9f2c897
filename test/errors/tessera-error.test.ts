import { test } from "node:test";
import assert from "node:assert/strict";
import { TesseraError } from "../../src/errors/tessera-error.ts";
import { ERROR_CODES, codeSpec } from "../../src/errors/codes.ts";

test("every error code maps to an HTTP status and a gRPC code", () => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.ok(spec.http >= 400 && spec.http < 600, code);
    assert.ok(spec.grpc > 0 && spec.grpc <= 16, code);
  }
});

test("TesseraError keeps code, message and details", () => {
  const e = new TesseraError("unknown_table", undefined, { table: "t" });
  assert.equal(e.code, "unknown_table");
  assert.equal(e.hasMessage, false);
  assert.equal(codeSpec(e.code).http, 404);
  const m = new TesseraError("invalid_event", "bad");
  assert.equal(m.hasMessage, true);
  assert.equal(m.message, "bad");
});
