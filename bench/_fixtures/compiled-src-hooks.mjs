// Module hooks that load src/**/*.ts from its tsc build in dist/ (see compiled-src.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const src = `${root}src/`;
const dist = `${root}dist/`;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith('file:')) return resolved;
  const path = fileURLToPath(resolved.url);
  if (!path.startsWith(src) || !path.endsWith('.ts')) return resolved;
  const compiled = `${dist}${path.slice(src.length, -'.ts'.length)}.js`;
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build first`);
  return { ...resolved, url: pathToFileURL(compiled).href, format: 'module' };
}
