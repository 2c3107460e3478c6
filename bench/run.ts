/**
 * `npm run bench -- NAME [NAME…]` runs bench/NAME.ts; with no name, every benchmark.
 * Each benchmark measures its own baseline in the same run and prints one JSON line of ratios.
 */
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = (await readdir(here))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}

for (const name of requested.length > 0 ? requested : available) {
  const mod = (await import(pathToFileURL(`${here}/${name}.ts`).href)) as { default: () => Promise<void> };
  await mod.default();
}
