import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { confinedPath, writeConfinedFile } from '../../workspace/files.js';
import {
  MANIFEST_PATH,
  type Manifest,
  OFFLINE_TEMPLATE,
  readManifest,
  type WrittenBy,
} from '../shared/codegen-manifest.js';
import type { GeneratedFile } from './generator.js';

export const GENERATOR_VERSION = 'offline-ts-node-http/1';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function manifestFor(
  files: GeneratedFile[],
  testPlan: Manifest['testPlan'],
  requirements: Manifest['requirements'],
): Manifest {
  return {
    requirements,
    generator: GENERATOR_VERSION,
    files: Object.fromEntries(
      files.map((f) => [
        f.path,
        { sha256: sha256(f.content), requirementIds: f.requirementIds, writtenBy: OFFLINE_TEMPLATE },
      ]),
    ),
    testPlan,
  };
}

export async function writeManifest(workspace: string, manifest: Manifest): Promise<void> {
  await writeConfinedFile(workspace, MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Records files a model just wrote in the manifest: their new hash and who wrote them. A file is
 * recorded when the generator already owned it or the model created it; a hand-written file the model
 * edited stays the developer's, so a later generation never removes it as stale. Without a manifest
 * (code not generated here) there is nothing to record into.
 */
export async function recordRewrites(
  workspace: string,
  files: readonly { path: string; content: string; created: boolean }[],
  writtenBy: WrittenBy,
): Promise<void> {
  const manifest = await readManifest(workspace);
  if (manifest === null) return;
  for (const f of files) {
    const entry = manifest.files[f.path];
    if (entry === undefined && !f.created) continue;
    manifest.files[f.path] = {
      sha256: sha256(f.content),
      requirementIds: entry?.requirementIds ?? [],
      writtenBy,
    };
  }
  await writeManifest(workspace, manifest);
}

/** Writes files through the confinement check: `..`, absolute paths and links out of the workspace are refused. */
export async function writeGeneratedFiles(workspace: string, files: GeneratedFile[]): Promise<void> {
  // Check every path before writing any, so a refused name leaves the workspace untouched.
  for (const file of files) await confinedPath(workspace, file.path);
  for (const file of files) await writeConfinedFile(workspace, file.path, file.content);
}

export async function readWorkspaceFile(workspace: string, path: string): Promise<string | null> {
  try {
    return await readFile(await confinedPath(workspace, path), 'utf8');
  } catch {
    return null;
  }
}

/** Removes files an earlier generation wrote and this one does not, unless a developer changed them. */
export async function removeStale(
  workspace: string,
  previous: Manifest | null,
  next: GeneratedFile[],
): Promise<string[]> {
  if (!previous) return [];
  const keep = new Set(next.map((f) => f.path));
  const removed: string[] = [];
  for (const [path, entry] of Object.entries(previous.files)) {
    if (keep.has(path)) continue;
    const current = await readWorkspaceFile(workspace, path);
    if (current !== null && sha256(current) === entry.sha256) {
      await rm(await confinedPath(workspace, path));
      removed.push(path);
    }
  }
  return removed;
}
