import { newDoubles } from "../state/entity.ts";
import type { ChunkReader } from "./chunk-reader.ts";
import type { ChunkWriter } from "./chunk-writer.ts";
import { V_ARRAY, V_DOUBLES, V_FALSE, V_FLOAT, V_INT, V_MAP, V_NULL, V_OBJECT, V_SET, V_STRING, V_TRUE, V_TYPED, V_UNDEFINED } from "./format.ts";
import { snapshotError } from "../../errors/snapshot-fields.ts";

/**
 * A tagged binary codec for the plain data operator states are made of (aggregate/operator.ts:
 * numbers, strings, booleans, null/undefined, arrays, plain objects, Maps, Sets, typed arrays) and
 * for the registry's raw nodes. It round-trips exactly what the engine can observe: -0, NaN and
 * ±Infinity, Map vs object, Map key types (1 vs "1"), undefined vs null, lone surrogates. Number
 * arrays and typed arrays go as raw f64 / element bytes, not number by number.
 */

const TYPED: readonly (new (buffer: ArrayBuffer) => ArrayBufferView)[] = [
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
];

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31;

export function writeValue(w: ChunkWriter, v: unknown): void {
  switch (typeof v) {
    case "undefined":
      w.u8(V_UNDEFINED);
      return;
    case "boolean":
      w.u8(v ? V_TRUE : V_FALSE);
      return;
    case "number":
      // Small integers (counts, indices, positions) as zigzag varints; -0 stays a float.
      if (Number.isInteger(v) && v >= INT_MIN && v < INT_MAX && (v !== 0 || 1 / v > 0)) {
        w.u8(V_INT);
        w.varuint(v >= 0 ? 2 * v : -2 * v - 1);
      } else {
        w.u8(V_FLOAT);
        w.f64(v);
      }
      return;
    case "string":
      w.u8(V_STRING);
      w.string(v);
      return;
    case "object":
      if (v === null) w.u8(V_NULL);
      else writeObject(w, v);
      return;
    default:
      throw snapshotError(`cannot encode a ${typeof v} in operator state`);
  }
}

function writeObject(w: ChunkWriter, v: object): void {
  if (Array.isArray(v)) {
    if (v.length > 0 && allNumbers(v)) {
      w.u8(V_DOUBLES);
      w.varuint(v.length);
      w.doubles(v as number[]);
      return;
    }
    w.u8(V_ARRAY);
    w.varuint(v.length);
    for (let i = 0; i < v.length; i++) writeValue(w, v[i]);
    return;
  }
  if (ArrayBuffer.isView(v)) {
    const kind = TYPED.indexOf(v.constructor as never);
    if (kind < 0) throw snapshotError(`cannot encode a ${v.constructor.name} in operator state`);
    w.u8(V_TYPED);
    w.u8(kind);
    w.varuint(v.byteLength);
    w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return;
  }
  if (v instanceof Map) {
    w.u8(V_MAP);
    w.varuint(v.size);
    for (const [k, x] of v) {
      writeValue(w, k);
      writeValue(w, x);
    }
    return;
  }
  if (v instanceof Set) {
    w.u8(V_SET);
    w.varuint(v.size);
    for (const x of v) writeValue(w, x);
    return;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) throw snapshotError(`cannot encode a ${v.constructor?.name ?? "null-prototype object"} in operator state`);
  const keys = Object.keys(v);
  w.u8(V_OBJECT);
  w.varuint(keys.length);
  for (const k of keys) {
    w.string(k);
    writeValue(w, (v as Record<string, unknown>)[k]);
  }
}

function allNumbers(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== "number") return false;
  return true;
}

export function readValue(r: ChunkReader): unknown {
  const tag = r.u8();
  switch (tag) {
    case V_UNDEFINED:
      return undefined;
    case V_NULL:
      return null;
    case V_FALSE:
      return false;
    case V_TRUE:
      return true;
    case V_FLOAT:
      return r.f64();
    case V_INT: {
      const z = r.varuint();
      if (z >= 2 * INT_MAX) throw snapshotError("integer value out of range");
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    case V_STRING:
      return r.string();
    case V_ARRAY: {
      const n = r.count(1);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(readValue(r));
      return a;
    }
    case V_DOUBLES: {
      const n = r.count(8);
      // Sliced from a double template: the array is PACKED_DOUBLE like the ones the ops build.
      const a = newDoubles(n);
      r.doubles(a, n);
      return a;
    }
    case V_TYPED: {
      const ctor = TYPED[r.u8()];
      if (ctor === undefined) throw snapshotError("unknown typed array kind");
      const bytes = r.count(1);
      const size = (ctor as unknown as { readonly BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      if (bytes % size !== 0) throw snapshotError(`typed array of ${bytes} bytes is not a whole number of ${size}-byte elements`);
      // r.bytes copies into an ArrayBuffer of exactly that size: the array's own.
      return new ctor(r.bytes(bytes).buffer as ArrayBuffer);
    }
    case V_MAP: {
      const n = r.count(2);
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = readValue(r);
        m.set(k, readValue(r));
      }
      return m;
    }
    case V_SET: {
      const n = r.count(1);
      const s = new Set<unknown>();
      for (let i = 0; i < n; i++) s.add(readValue(r));
      return s;
    }
    case V_OBJECT: {
      const n = r.count(2);
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string();
        const x = readValue(r);
        // A plain assignment to "__proto__" would set the prototype instead of a property.
        if (k === "__proto__") Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
        else o[k] = x;
      }
      return o;
    }
    default:
      throw snapshotError(`unknown value tag ${tag}`);
  }
}
