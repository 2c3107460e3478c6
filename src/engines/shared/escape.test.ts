import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { commentText, lit, mdText, oneLine, regexLiteral, templateText } from './escape.js';

/** Syntax errors of `code` as TypeScript, and every identifier it names (code that would run). */
function parse(code: string): { errors: string[]; identifiers: Set<string> } {
  const file = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diagnostics = (file as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics;
  const identifiers = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node)) identifiers.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return {
    errors: diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    identifiers,
  };
}

// Strings heavy in what breaks generated code: terminators, quotes, backslashes, `${`, line separators.
const hostile = fc.string({
  unit: fc.constantFrom(
    '*/',
    '/*',
    '//',
    '\n',
    '\r',
    '\u2028',
    '\u2029',
    '\u0085',
    '`',
    '${',
    '}',
    '"',
    "'",
    '\\',
    '<',
    '>',
    '[',
    ']',
    '(',
    ')',
    '|',
    '#',
    '!',
    '*',
    '\u202e',
    '\u0000',
    '\u001b',
    '🙂',
    '\ud83d',
    'a',
    ' ',
    'PWNED()',
    ';',
  ),
  maxLength: 40,
});

describe('escape helpers', () => {
  it('commentText keeps any text inside a line comment and a block comment', () => {
    fc.assert(
      fc.property(hostile, (raw) => {
        const line = parse(`// ${commentText(raw)}\nexport const ok = 1;\n`);
        const block = parse(`/** ${commentText(raw)} */\nexport const ok = 1;\n`);
        for (const { errors, identifiers } of [line, block]) {
          expect(errors).toEqual([]);
          expect([...identifiers]).toEqual(['ok']);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('lit, templateText and regexLiteral give back exactly the text, as data', () => {
    fc.assert(
      fc.property(hostile, (raw) => {
        const code = `export const a = ${lit(raw)};\nexport const b = \`${templateText(raw)}\`;\nexport const c = ${regexLiteral(raw)};\n`;
        const { errors, identifiers } = parse(code);
        expect(errors).toEqual([]);
        expect([...identifiers].sort()).toEqual(['a', 'b', 'c']);
        const [a, b, c] = new Function(
          `return [${lit(raw)}, \`${templateText(raw)}\`, ${regexLiteral(raw)}];`,
        )() as [string, string, RegExp];
        expect(a).toBe(raw);
        expect(b).toBe(raw);
        expect(new RegExp(`^(?:${c.source})$`).test(raw)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('mdText leaves one line with no markup that links, embeds HTML, opens code or splits a table', () => {
    fc.assert(
      fc.property(hostile, (raw) => {
        const md = mdText(raw);
        expect(md).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
        expect(md).not.toMatch(/[<>]/);
        // Every markup character is backslash-escaped.
        expect(md.replace(/\\[\\`*_[\]|~!#]/g, '')).not.toMatch(/[`*_[\]|~!#]/);
      }),
      { numRuns: 500 },
    );
    expect(mdText('[x](javascript:alert(1)) <img src=x onerror=alert(1)> | a')).toBe(
      '\\[x\\](javascript:alert(1)) &lt;img src=x onerror=alert(1)&gt; \\| a',
    );
  });

  it('oneLine caps by code points and drops controls, never splitting an emoji', () => {
    expect(oneLine('a\nb\u2028c\u202ed\u0000e', 100)).toBe('a b cde');
    expect(oneLine('🙂🙂🙂', 2)).toBe('🙂🙂');
    expect(commentText('x */ process.exit(1); /*')).toBe('x * / process.exit(1); /* ');
  });
});
