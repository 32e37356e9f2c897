import { test } from "node:test";
import assert from "node:assert/strict";
import { checksum, checksumMatches, lengthFor, recordLength, recordLsn, recordNow, RECORD_HEADER_BYTES, sealRecord } from "../../src/storage/record-format.ts";

test("CRC32C matches the RFC 3720 (iSCSI) test vectors", () => {
  const vectors: [Uint8Array, number][] = [
    [new Uint8Array(32), 0x8a9136aa],
    [new Uint8Array(32).fill(0xff), 0x62a8ab43],
    [Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    [Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    [
      Uint8Array.from([
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      ]),
      0xd9963a56,
    ],
    [Buffer.from("123456789"), 0xe3069283],
  ];
  for (const [bytes, crc] of vectors) assert.equal(checksum(bytes, 0, bytes.length), crc);
});

test("checksum covers exactly the given range", () => {
  const b = Buffer.from("xx123456789yy");
  assert.equal(checksum(b, 2, 11), 0xe3069283);
});

test("a sealed record reads back; any changed byte after the checksum is detected", () => {
  const command = Buffer.from([0, 0xc0]);
  const length = lengthFor(command.length);
  const b = Buffer.alloc(8 + length);
  command.copy(b, RECORD_HEADER_BYTES);
  const lsn = 2 ** 40 + 7;
  sealRecord(b, 0, length, lsn, 1_700_000_000_123.5);
  assert.equal(recordLength(b, 0), length);
  assert.equal(recordLsn(b, 0), lsn);
  assert.equal(recordNow(b, 0), 1_700_000_000_123.5);
  assert.ok(checksumMatches(b, 0, length));
  for (let i = 8; i < b.length; i++) {
    const flipped = Buffer.from(b);
    flipped[i]! ^= 0x10;
    assert.equal(checksumMatches(flipped, 0, length), false, `byte ${i}`);
  }
});
