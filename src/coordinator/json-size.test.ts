import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonByteLength } from './json-size.js';

/** What it stands for. */
const stringified = (value: unknown): number =>
  value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? '');

/** Any UTF-16 code unit: control characters, quotes, backslashes, lone surrogates, pairs. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyUnits = fc.string({ unit: anyUnit });
/** Around the length past which JSON.stringify measures instead. */
const longUnits = fc.string({ unit: anyUnit, minLength: 100, maxLength: 200 });

describe('jsonByteLength', () => {
  it('is the UTF-8 size of JSON.stringify for plain JSON data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonByteLength(value)).toBe(stringified(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('counts every string escape and UTF-8 width as JSON.stringify writes them', () => {
    fc.assert(
      fc.property(
        fc.dictionary(anyUnits, anyUnits),
        fc.array(fc.oneof(anyUnits, longUnits)),
        fc.dictionary(longUnits, fc.jsonValue()),
        (object, array, longKeys) => {
          expect(jsonByteLength(object)).toBe(stringified(object));
          expect(jsonByteLength(array)).toBe(stringified(array));
          expect(jsonByteLength(longKeys)).toBe(stringified(longKeys));
        },
      ),
      { numRuns: 2_000 },
    );
    for (const s of [
      '',
      'plain',
      '"\\',
      '\b\t\n\f\r\u0000\u001f\u007f',
      'é€😀',
      '\ud800',
      '\udc00x',
      '\u2028',
    ]) {
      expect(jsonByteLength(s)).toBe(stringified(s));
    }
  });

  it('agrees with JSON.stringify on anything else: toJSON, dates, boxed values, holes, undefined members', () => {
    const anything = fc.anything({
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true,
      withTypedArray: true,
      withObjectString: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        let expected: number | Error;
        try {
          expected = stringified(value);
        } catch (err) {
          expected = err as Error;
        }
        if (expected instanceof Error) expect(() => jsonByteLength(value)).toThrow();
        else expect(jsonByteLength(value)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
    const special = [
      { when: new Date(0), f: () => 1, s: Symbol('s'), u: undefined, n: Number.NaN, i: -Infinity, z: -0 },
      [undefined, () => 1, Symbol('s'), null],
      { toJSON: () => ({ replaced: true }) },
      Object.assign(Object.create(null) as object, { a: 1 }),
      Object.assign([1, 2], { extra: 'ignored' }),
      { nested: { deeper: [{ toJSON: () => 'x' }] } },
    ];
    for (const value of special) expect(jsonByteLength(value)).toBe(stringified(value));
  });

  it('throws as JSON.stringify does on a cycle or a bigint', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonByteLength(cyclic)).toThrow(TypeError);
    expect(() => jsonByteLength({ n: 1n })).toThrow(TypeError);
  });
});
