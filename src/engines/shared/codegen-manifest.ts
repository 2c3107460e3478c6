/**
 * The coding engine's manifest in a generated workspace (`.powerauto-codegen.json`): which files the
 * generator owns, for which requirements, with the test plan. The testing engine reads it back.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { TestPlan } from '../../contracts/architecture.js';
import { ProducedBy } from '../../contracts/produced-by.js';
import { confinedPath } from '../../workspace/files.js';

/** Records what the generator owns in a workspace, so code_fix can tell generated drift from hand-written code. */
export const MANIFEST_PATH = '.powerauto-codegen.json';

/** Which brain wrote a file's current content: the offline template generator, or a model (provider/model). */
export const WrittenBy = ProducedBy.pick({ brain: true, provider: true, model: true });
export type WrittenBy = z.infer<typeof WrittenBy>;
export const OFFLINE_TEMPLATE: WrittenBy = { brain: 'offline' };

export const ManifestFile = z.object({
  sha256: z.string(),
  requirementIds: z.array(z.string()),
  /** Who wrote or last rewrote it; absent in manifests written before this was recorded. */
  writtenBy: WrittenBy.optional(),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const Manifest = z.object({
  generator: z.string(),
  files: z.record(z.string(), ManifestFile),
  testPlan: TestPlan.nullable(),
  /** The spec's requirements (ids, kinds, priorities): test_run builds its traceability matrix from them. */
  requirements: z.array(z.object({ id: z.string(), kind: z.string(), priority: z.string() })).default([]),
});
export type Manifest = z.infer<typeof Manifest>;

export async function readManifest(workspace: string): Promise<Manifest | null> {
  try {
    return Manifest.parse(JSON.parse(await readFile(await confinedPath(workspace, MANIFEST_PATH), 'utf8')));
  } catch {
    return null;
  }
}
