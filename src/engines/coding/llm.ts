import { z } from 'zod';
import type { CodeReport } from '../../contracts/code.js';
import { CodeFixInput, CodeGenerateInput } from '../../contracts/engines.js';
import { PowerAutoError } from '../../contracts/errors.js';
import { commitAll } from '../../workspace/git.js';
import type { Brain } from '../brain.js';
import { createLlmBrain, type EngineLlm, type LlmTools } from '../llm-brain.js';
import { readManifest } from '../shared/codegen-manifest.js';
import { offlineBrain } from './offline.js';
import { readWorkspaceFile, recordRewrites, writeGeneratedFiles } from './workspace.js';

export const CodeFilesAnswer = z.object({
  files: z.array(z.object({ path: z.string().min(1), content: z.string() })),
  /** What the model could not do, for the human at the code review gate. */
  notes: z.array(z.string()),
});
type CodeFilesAnswer = z.infer<typeof CodeFilesAnswer>;

/** Context budget for file contents sent to the model. */
const MAX_CONTEXT_CHARS = 24_000;
/** The model writes route handlers (existing files) and its own tests; the scaffolding stays generated. */
const HANDLER = /^src\/routes\/(?!index\.ts$)[A-Za-z0-9_-]+\.ts$/;
const LLM_TEST = /^test\/llm\/[A-Za-z0-9_-]+\.test\.ts$/;

async function contents(workspace: string, paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let used = 0;
  for (const path of paths) {
    const text = await readWorkspaceFile(workspace, path);
    if (text === null || used + text.length > MAX_CONTEXT_CHARS) continue;
    out[path] = text;
    used += text.length;
  }
  return out;
}

function lines(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * Writes what the model returned through the same confined writer as the generator, records the
 * rewrites in the generation manifest (who wrote each file) and commits both together.
 * Paths outside what the model may touch are refused (listed in notes), never written.
 */
async function writeAnswer(
  workspace: string,
  answer: CodeFilesAnswer,
  allowed: (path: string) => boolean,
  message: string,
  llm: LlmTools,
): Promise<{ written: CodeReport['files']; refused: string[]; commit: string | null; loc: number }> {
  const ok = answer.files.filter((f) => allowed(f.path));
  const refused = answer.files.filter((f) => !allowed(f.path)).map((f) => f.path);
  if (ok.length === 0) return { written: [], refused, commit: null, loc: 0 };
  const existed = await Promise.all(
    ok.map(async (f) => (await readWorkspaceFile(workspace, f.path)) !== null),
  );
  await writeGeneratedFiles(
    workspace,
    ok.map((f) => ({ ...f, requirementIds: [] })),
  );
  await recordRewrites(
    workspace,
    ok.map((f, i) => ({ ...f, created: !existed[i] })),
    { brain: 'llm', provider: llm.provider, model: llm.model },
  );
  const commit = await commitAll(workspace, message);
  return {
    written: ok.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.content), requirementIds: [] })),
    refused,
    commit,
    loc: ok.reduce((n, f) => n + lines(f.content), 0),
  };
}

/** Timings change from run to run; prompts must not (replay cassettes key on them). */
const stable = (s: string | null) => (s ?? '').replace(/\d+(\.\d+)?\s?ms/g, '').slice(0, 600);

export function createCodingLlmBrain(engine: EngineLlm): Brain {
  return createLlmBrain(
    offlineBrain,
    {
      // The offline generator lays out the project; the model then writes the handlers and extra tests.
      code_generate: {
        augment: async (generated, raw, ctx, llm) => {
          const input = CodeGenerateInput.parse(raw);
          const report = generated as CodeReport;
          const handlers = report.files.map((f) => f.path).filter((p) => HANDLER.test(p));
          await ctx.progress(2, 3, `writing handlers and tests with ${llm.provider}/${llm.model}`);
          const answer = await llm.structured(CodeFilesAnswer, {
            system: await llm.prompt('code_generate'),
            messages: [
              {
                role: 'user',
                content: JSON.stringify({
                  requirements: input.requirements.requirements.map((r) => ({
                    id: r.id,
                    kind: r.kind,
                    priority: r.priority,
                    text: r.text,
                    acceptanceCriteria: r.acceptanceCriteria,
                  })),
                  endpoints: input.architecture?.endpoints ?? [],
                  files: await contents(input.workspace, [...handlers, 'test/helpers.ts']),
                  ...(input.feedback ? { feedback: input.feedback } : {}),
                }),
              },
            ],
            schemaName: 'code_files',
          });
          const allowed = (p: string) => handlers.includes(p) || LLM_TEST.test(p);
          const w = await writeAnswer(
            input.workspace,
            answer,
            allowed,
            `code_generate (LLM ${llm.model}): ${answer.files.length} file(s)`,
            llm,
          );
          const byPath = new Map(report.files.map((f) => [f.path, f]));
          for (const f of w.written)
            byPath.set(f.path, { ...f, requirementIds: byPath.get(f.path)?.requirementIds ?? [] });
          return {
            ...report,
            files: [...byPath.values()],
            commit: w.commit ?? report.commit,
            summary: `${report.summary}. The model wrote ${w.written.length} file(s).`,
            notes: [
              ...report.notes,
              ...answer.notes,
              ...w.refused.map((p) => `refused model file outside handlers/tests: ${p}`),
            ],
            metrics: {
              ...report.metrics,
              files: byPath.size,
              llmFilesWritten: w.written.length,
              llmFilesRefused: w.refused.length,
            },
          };
        },
      },
      // Repair from test failures: the model sees the failures and the files involved.
      code_fix: {
        replace: async (raw, ctx, llm) => {
          const input = CodeFixInput.parse(raw);
          const failures = input.testReport.tests.filter((t) => t.status === 'failed');
          if (failures.length === 0)
            throw new PowerAutoError('BAD_INPUT', 'no failing tests: nothing for the model to fix');
          const manifest = await readManifest(input.workspace);
          const failing = new Set(failures.flatMap((t) => t.requirementIds));
          const related = Object.entries(manifest?.files ?? {})
            .filter(([path, f]) => path.endsWith('.ts') && f.requirementIds.some((id) => failing.has(id)))
            .map(([path]) => path);
          const files = [...new Set([...failures.flatMap((t) => (t.file ? [t.file] : [])), ...related])];
          await ctx.progress(
            0,
            2,
            `repairing ${failures.length} failure(s) with ${llm.provider}/${llm.model}`,
          );
          const answer = await llm.structured(CodeFilesAnswer, {
            system: await llm.prompt('code_fix'),
            messages: [
              {
                role: 'user',
                content: JSON.stringify({
                  failures: failures.map((t) => ({
                    name: t.name,
                    requirementIds: t.requirementIds,
                    file: t.file ?? null,
                    error: stable(t.error),
                  })),
                  files: await contents(input.workspace, files),
                }),
              },
            ],
            schemaName: 'code_files',
          });
          const allowed = (p: string) => p.startsWith('src/') || p.startsWith('test/');
          const w = await writeAnswer(
            input.workspace,
            answer,
            allowed,
            `code_fix (LLM ${llm.model}): ${answer.files.length} file(s)`,
            llm,
          );
          if (w.written.length === 0)
            throw new PowerAutoError('LLM_FAILED', 'the model proposed no file changes');
          return {
            files: w.written,
            commit: w.commit,
            summary: `the model rewrote ${w.written.length} file(s): ${w.written.map((f) => f.path).join(', ')}`,
            notes: [...answer.notes, ...w.refused.map((p) => `refused model file: ${p}`)],
            unresolved: [],
            metrics: { fixed: 1, filesRestored: w.written.length, failures: failures.length, unresolved: 0 },
          };
        },
      },
    },
    engine,
  );
}
