/**
 * Escaping for artifact text that generated files must carry (code, comments, Markdown). Artifact
 * values come from people editing at a gate and from models, so none of them reaches a generated file
 * raw: code gets string literals, comments get `commentText`, Markdown gets `mdText`. The contracts
 * (src/contracts/fields.ts) limit what the values may hold; this is the second line.
 *
 * Every template (the coding engine's, the deployment engine's release files) uses only these.
 */

/** Line terminators of JavaScript and Markdown, plus NEL. */
const BREAKS = /[\r\n\u0085\u2028\u2029]+/g;

/** Code points that are never wanted in generated text: C0/C1 controls (tab aside) and bidi controls. */
function isInvisible(c: number): boolean {
  return (
    (c < 0x20 && c !== 0x09) ||
    (c >= 0x7f && c <= 0x9f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069)
  );
}

/** One line: breaks become spaces, controls go, at most `max` code points (never half a surrogate pair). */
export function oneLine(raw: string, max = 200): string {
  let out = '';
  let n = 0;
  for (const ch of String(raw).replace(BREAKS, ' ')) {
    if (n >= max) break;
    if (isInvisible(ch.codePointAt(0) ?? 0)) continue;
    out += ch === '\t' ? ' ' : ch;
    n++;
  }
  return out;
}

// Text for a line or block comment: one line, and no block-comment terminator (star then slash
// becomes star, space, slash), so a label that tries to close the comment and run code stays text.
// (A line comment here on purpose: the example in a block comment once closed this very comment.)
export function commentText(raw: string, max = 160): string {
  return oneLine(raw, max).replace(/\*\//g, '* /').replace(/\*$/, '* ');
}

/**
 * A string literal for generated JavaScript/TypeScript: JSON escaping covers quotes, backslashes and
 * newlines (a `${` inside double quotes is plain text); U+2028/2029 are escaped for older parsers.
 */
export function lit(value: string): string {
  return JSON.stringify(String(value))
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text inside a template literal (between backticks): backslash, backtick, `${` and breaks escaped. */
export function templateText(raw: string): string {
  return String(raw)
    .replace(/\\/g, '\\\\')
    .replace(/`/g, '\\`')
    .replace(/\$\{/g, '\\${')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A regular-expression literal matching `raw` literally: `/REQ-001/`. */
export function regexLiteral(raw: string): string {
  const body = String(raw)
    .replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  // An empty body would make `//`, a comment.
  return body === '' ? '/(?:)/' : `/${body}/`;
}

/**
 * Inline Markdown text: one line, and nothing that makes structure, links, code or HTML
 * (`[x](javascript:…)`, `<img onerror>`, a `|` that splits a table cell, a backtick that opens code).
 */
export function mdText(raw: string, max = 300): string {
  return oneLine(raw, max)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~!#]/g, '\\$&');
}
