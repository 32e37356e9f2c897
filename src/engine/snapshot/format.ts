/**
 * The snapshot byte format (README.md in this folder). A snapshot is a sequence of chunks; each
 * chunk is self-contained (whole records only), so a restore decodes chunk by chunk and never holds
 * more than one chunk's bytes beyond the state it builds.
 *
 * Chunk: [magic u32][version u16][flags u16][seq u32][payload length u32] payload [crc32 u32], all
 * little-endian. The CRC covers the 16 header bytes and the payload: a snapshot is recovery's only
 * source of truth, and a flipped bit in a float would otherwise restore silently as a wrong value.
 */

/** "TSNP" read as a little-endian u32. */
export const MAGIC = 0x504e5354;

/**
 * Bumped on any change to the bytes: chunk framing, records, the value codec, and also the state
 * layouts they carry (entity number layout, operator state shapes), which restore copies verbatim.
 */
export const FORMAT_VERSION = 1;

export const CHUNK_HEADER_BYTES = 16;
export const CHUNK_TRAILER_BYTES = 4;

/** Set on the stream's last chunk (the one holding the END record). */
export const FLAG_LAST = 1;

/**
 * A chunk is sealed once its payload reaches this size. Records are never split, so a chunk holding
 * one large entity (wide sketches in every bucket) is larger.
 */
export const CHUNK_TARGET_BYTES = 256 * 1024;

/** Record tags: the first byte of each record in a payload. */
export const RECORD_HEADER = 1;
export const RECORD_ENTITIES = 2;
export const RECORD_DEDUPE = 3;
export const RECORD_END = 4;

/** Tags of the value codec (value-codec.ts). */
export const V_UNDEFINED = 0;
export const V_NULL = 1;
export const V_FALSE = 2;
export const V_TRUE = 3;
export const V_FLOAT = 4;
export const V_INT = 5;
export const V_STRING = 6;
export const V_ARRAY = 7;
export const V_DOUBLES = 8;
export const V_OBJECT = 9;
export const V_MAP = 10;
export const V_SET = 11;
export const V_TYPED = 12;

/** String encodings, in the low 2 bits of a string's length prefix. */
export const STR_ASCII = 0;
export const STR_UTF8 = 1;
/** Strings with lone surrogates (not representable in UTF-8) go as raw UTF-16 code units. */
export const STR_UTF16 = 2;
