/**
 * UTF-8 bytes of `JSON.stringify(value)`, 0 for undefined. The metrics record this for every call's
 * arguments and result. On Node 20, JSON.stringify of even a tiny tool result costs ~0.5 µs, mostly in
 * building a string that is only measured; in a whole in-process call that came to ~8% of the call,
 * most of the coordinator's 10% budget. Walking small plain JSON data and counting costs about half.
 * Anything else (long texts, toJSON, class instances, bigint, cycles...) is measured by JSON.stringify
 * itself, so the result is always what JSON.stringify would give (property-tested in json-size.test.ts).
 */
export function jsonByteLength(value: unknown): number {
  if (value === undefined) return 0;
  const counted = plainSize(value, 0);
  return counted >= 0 ? counted : Buffer.byteLength(JSON.stringify(value));
}

/** Deeper than this, let JSON.stringify decide (and throw on a cycle as it would). */
const MAX_DEPTH = 64;
const NOT_PLAIN = -1;
/** Past this many characters the native escaper beats the loop in stringSize. */
const LONG_STRING = 128;

/** Size of plain JSON data, or NOT_PLAIN. `undefined`, functions and symbols are handled by the caller. */
function plainSize(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      // A long text is what JSON.stringify does best: let it measure the whole value in one pass.
      return value.length > LONG_STRING ? NOT_PLAIN : stringSize(value);
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4; // NaN and ±Infinity become null
    case 'boolean':
      return value ? 4 : 5;
    case 'object': {
      if (value === null) return 4;
      if (depth >= MAX_DEPTH) return NOT_PLAIN;
      if (Array.isArray(value)) return arraySize(value, depth + 1);
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      return objectSize(value as Record<string, unknown>, depth + 1);
    }
    default:
      return NOT_PLAIN; // bigint throws in JSON.stringify; let it
  }
}

function arraySize(array: readonly unknown[], depth: number): number {
  if ('toJSON' in array) return NOT_PLAIN;
  let size = 2 + Math.max(0, array.length - 1); // brackets and commas
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    const t = typeof item;
    if (item === undefined || t === 'function' || t === 'symbol') {
      size += 4; // null
      continue;
    }
    const s = plainSize(item, depth);
    if (s < 0) return NOT_PLAIN;
    size += s;
  }
  return size;
}

function objectSize(object: Record<string, unknown>, depth: number): number {
  if ('toJSON' in object) return NOT_PLAIN;
  let size = 2; // braces
  let members = 0;
  // Own enumerable string keys, as JSON.stringify takes them.
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = object[key];
    const t = typeof item;
    if (item === undefined || t === 'function' || t === 'symbol') continue;
    const s = plainSize(item, depth);
    if (s < 0) return NOT_PLAIN;
    const name = keySize(key);
    if (name < 0) return NOT_PLAIN;
    size += name + 1 + s; // "key":value
    members++;
  }
  return size + Math.max(0, members - 1);
}

/**
 * Sizes of property names seen so far. Results are built from the contracts' schemas, so their keys
 * are a small vocabulary met on every call; the cache stops growing at KEY_CACHE_MAX all the same.
 */
const keySizes = new Map<string, number>();
const KEY_CACHE_MAX = 4096;

function keySize(key: string): number {
  const cached = keySizes.get(key);
  if (cached !== undefined) return cached;
  if (key.length > LONG_STRING) return NOT_PLAIN;
  const size = stringSize(key);
  if (keySizes.size < KEY_CACHE_MAX) keySizes.set(key, size);
  return size;
}

/** Bytes of a JSON string literal, quotes included, as JSON.stringify escapes it. */
function stringSize(s: string): number {
  let size = s.length + 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Printable ASCII other than `"` and `\` is one byte, as counted above.
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    if (c < 0x20) {
      // \b \t \n \f \r have two-character escapes; other control characters are \u00XX.
      size += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 1 : 5;
    } else if (c === 0x22 || c === 0x5c) {
      size += 1;
    } else if (c < 0x80) {
      // DEL: one byte, unescaped
    } else if (c < 0x800) {
      size += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        size += 2; // a surrogate pair (two units) is one 4-byte code point
        i++;
      } else {
        size += 5; // a lone surrogate is escaped as \uXXXX
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      size += 5;
    } else {
      size += 2;
    }
  }
  return size;
}
