import { readFile } from 'node:fs/promises';
import type { Role } from '../contracts/models.js';

const cache = new Map<string, Promise<string>>();

/**
 * A versioned prompt, `src/engines/<role>/prompts/<tool>.v<version>.md`, read at run time relative to
 * this module (the build copies the prompt files into `dist/engines/<role>/prompts/`).
 */
export function loadPrompt(role: Role, tool: string, version = 1): Promise<string> {
  const rel = `./${role}/prompts/${tool}.v${version}.md`;
  let text = cache.get(rel);
  if (text === undefined) {
    text = readFile(new URL(rel, import.meta.url), 'utf8').then((t) => t.trim());
    cache.set(rel, text);
    text.catch(() => cache.delete(rel));
  }
  return text;
}
