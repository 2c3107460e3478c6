import type { z } from 'zod';
import type { TestPlan } from '../../contracts/architecture.js';
import type { CodeReport } from '../../contracts/code.js';
import type { CodeFixInput, CodeGenerateInput } from '../../contracts/engines.js';
import { commitAll } from '../../workspace/git.js';
import type { EngineToolContext } from '../brain.js';
import { MANIFEST_PATH, type Manifest, readManifest } from '../shared/codegen-manifest.js';
import { linkDevDependencies, STACK, stackLockPackages } from '../shared/dev-deps.js';
import { type GeneratedFile, renderService } from './generator.js';
import { buildModel, type ServiceModel } from './model.js';
import {
  manifestFor,
  readWorkspaceFile,
  removeStale,
  writeGeneratedFiles,
  writeManifest,
} from './workspace.js';

type Specs = Pick<z.infer<typeof CodeGenerateInput>, 'requirements' | 'architecture'>;

function render(input: Specs, testPlan: TestPlan | null) {
  const model = buildModel(input.requirements, input.architecture, testPlan ?? undefined);
  return { model, files: renderService(model, STACK, stackLockPackages()) };
}

function reqList(input: Specs): Manifest['requirements'] {
  return input.requirements.requirements.map((r) => ({ id: r.id, kind: r.kind, priority: r.priority }));
}

function lines(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

function fileList(files: GeneratedFile[]): CodeReport['files'] {
  return files.map((f) => ({
    path: f.path,
    bytes: Buffer.byteLength(f.content),
    requirementIds: f.requirementIds,
  }));
}

function modelMetrics(model: ServiceModel, files: GeneratedFile[]) {
  return {
    files: files.length,
    linesOfCode: files.filter((f) => f.path.endsWith('.ts')).reduce((n, f) => n + lines(f.content), 0),
    entities: model.entities.length,
    operations: model.operations.length,
    operationsUnimplemented: model.operations.filter((o) => o.kind === 'unsupported').length,
    businessRules: model.rules.length,
    requirementTests: model.requirements.filter((r) =>
      files.some((f) => f.path.startsWith('test/') && f.content.includes(`[${r.id}]`)),
    ).length,
  };
}

export async function generateCode(
  input: z.infer<typeof CodeGenerateInput>,
  ctx: EngineToolContext,
): Promise<CodeReport> {
  await ctx.progress(0, 3, 'modelling the service');
  const testPlan = input.testPlan ?? null;
  const { model, files } = render(input, testPlan);
  const previous = await readManifest(input.workspace);
  await ctx.progress(1, 3, `writing ${files.length} files`);
  await writeGeneratedFiles(input.workspace, files);
  const removed = await removeStale(input.workspace, previous, files);
  await writeManifest(input.workspace, manifestFor(files, testPlan, reqList(input)));
  await linkDevDependencies(input.workspace);
  ctx.signal.throwIfAborted();
  await ctx.progress(2, 3, 'committing');
  const commit = await commitAll(
    input.workspace,
    `code_generate: ${model.entities.length} entities, ${model.operations.length} operations${input.feedback ? ' (with feedback)' : ''}`,
  );
  return {
    files: fileList(files),
    commit,
    summary:
      `Generated a TypeScript service on Fastify and Kysely (SQLite, or PostgreSQL with DATABASE_URL): ${model.entities.map((e) => e.typeName).join(', ') || 'no entities'}; ` +
      `${model.operations.length} routes, ${model.rules.length} business rules` +
      (removed.length > 0 ? `; removed ${removed.length} files no longer generated` : '') +
      (model.notes.length > 0 ? `. Not generated: ${model.notes.join('; ')}` : ''),
    notes: model.notes,
    unresolved: [],
    metrics: modelMetrics(model, files),
  };
}

/**
 * Offline repair: the generator is deterministic, so "what the spec says" is the regenerated file.
 * Generated files that drifted and belong to a failing requirement (or to shared plumbing) are restored;
 * anything else is reported as unresolved for a human.
 */
export async function fixCode(
  input: z.infer<typeof CodeFixInput>,
  ctx: EngineToolContext,
): Promise<CodeReport> {
  const failures = input.testReport.tests.filter((t) => t.status === 'failed');
  const manifest = await readManifest(input.workspace);
  const done = (
    summary: string,
    unresolved: string[],
    files: GeneratedFile[] = [],
    commit: string | null = null,
  ): CodeReport => ({
    files: fileList(files),
    commit,
    summary,
    notes: [],
    unresolved,
    metrics: {
      fixed: files.length > 0 ? 1 : 0,
      filesRestored: files.length,
      failures: failures.length,
      unresolved: unresolved.length,
    },
  });
  if (failures.length === 0) return done('no failing tests: nothing to fix', []);
  if (!manifest) {
    return done('cannot fix: the workspace has no generation manifest', [
      `${MANIFEST_PATH} is missing: this code was not generated here, so there is no spec-derived version to restore`,
    ]);
  }
  const { files } = render(input, manifest.testPlan);
  const failingReqs = new Set(failures.flatMap((t) => t.requirementIds));
  const untagged = failures.some((t) => t.requirementIds.length === 0);
  const drifted: GeneratedFile[] = [];
  for (const file of files) {
    if ((await readWorkspaceFile(input.workspace, file.path)) !== file.content) drifted.push(file);
  }
  const relevant = drifted.filter(
    (f) => untagged || f.requirementIds.includes('*') || f.requirementIds.some((id) => failingReqs.has(id)),
  );
  if (relevant.length === 0) {
    const why =
      drifted.length === 0
        ? 'every generated file matches what the spec generates'
        : `the generated files that differ (${drifted.map((f) => f.path).join(', ')}) are not exercised by it`;
    return done(
      `cannot fix ${failures.length} failing test(s) by regenerating`,
      failures.map(
        (t) =>
          `${t.name}${t.requirementIds.length > 0 ? ` (${t.requirementIds.join(', ')})` : ''}: still failing and ${why}; ` +
          'the cause is outside the generated code (a hand-written file or test, or a requirement the generator cannot satisfy) and needs a human',
      ),
    );
  }
  ctx.signal.throwIfAborted();
  await writeGeneratedFiles(input.workspace, relevant);
  // What the template regenerated is the offline brain's again; what a model wrote and was not restored
  // (its rewrites, its own tests) keeps its entry, so the manifest still says who wrote it.
  const next = manifestFor(files, manifest.testPlan, reqList(input));
  const restored = new Set(relevant.map((f) => f.path));
  for (const [path, entry] of Object.entries(manifest.files)) {
    if (entry.writtenBy?.brain === 'llm' && !restored.has(path)) next.files[path] = entry;
  }
  await writeManifest(input.workspace, next);
  await linkDevDependencies(input.workspace);
  const reqs = [...failingReqs].sort().join(', ') || 'build';
  const commit = await commitAll(
    input.workspace,
    `code_fix: restore ${relevant.map((f) => f.path).join(', ')} for ${reqs}`,
  );
  return done(
    `restored ${relevant.length} generated file(s) that drifted from the spec: ${relevant.map((f) => f.path).join(', ')}`,
    [],
    relevant,
    commit,
  );
}
