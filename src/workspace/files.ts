import { lstat, mkdir, realpath, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PathRefusedError } from '../contracts/errors.js';

/**
 * Resolves a generated file name inside `root`, refusing anything that could land outside it:
 * absolute paths, `..` segments, NUL bytes, and symbolic links on the way that lead out.
 */
export async function confinedPath(root: string, relPath: string): Promise<string> {
  if (relPath.length === 0) throw new PathRefusedError(relPath, 'empty path');
  if (relPath.includes('\0')) throw new PathRefusedError(relPath, 'contains a NUL byte');
  if (isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath) || relPath.startsWith('\\')) {
    throw new PathRefusedError(relPath, 'absolute paths are not allowed');
  }
  const segments = relPath.split(/[\\/]+/);
  if (segments.includes('..')) throw new PathRefusedError(relPath, '".." is not allowed');
  if (segments[0] === '.git' || segments.includes('.git')) {
    throw new PathRefusedError(relPath, 'the workspace .git folder is off limits');
  }
  const realRoot = await realpath(root);
  const target = resolve(realRoot, ...segments);
  if (!isInside(realRoot, target)) throw new PathRefusedError(relPath, 'resolves outside the workspace');

  // Walk the existing part of the path: every link must still resolve inside the root.
  let current = realRoot;
  for (const segment of segments.filter((s) => s !== '' && s !== '.')) {
    current = join(current, segment);
    const info = await lstat(current).catch(() => null);
    if (info === null) break;
    if (info.isSymbolicLink()) {
      const resolved = await realpath(current).catch(() => null);
      if (resolved === null || !isInside(realRoot, resolved)) {
        throw new PathRefusedError(relPath, 'a symbolic link on the path leads outside the workspace');
      }
    }
  }
  return target;
}

export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

export async function writeConfinedFile(
  root: string,
  relPath: string,
  content: string | Uint8Array,
): Promise<string> {
  const target = await confinedPath(root, relPath);
  await mkdir(dirname(target), { recursive: true });
  // Re-check after mkdir: a link created meanwhile must not redirect the write.
  const checked = await confinedPath(root, relPath);
  await writeFile(checked, content);
  return checked;
}
