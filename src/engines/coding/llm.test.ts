import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeReport } from '../../contracts/code.js';
import type { TestReport } from '../../contracts/testing.js';
import {
  type FakeServer,
  json,
  type RecordedRequest,
  startFakeServer,
} from '../../llm/testing/fake-server.js';
import { commitAll } from '../../workspace/git.js';
import { engineLlmFor } from '../select-brain.js';
import { MANIFEST_PATH, readManifest } from '../shared/codegen-manifest.js';
import { createCodingLlmBrain } from './llm.js';
import { offlineBrain } from './offline.js';
import { librarySpecs, tempWorkspace, testContext } from './test-fixtures.js';
import { sha256 } from './workspace.js';

/** The model's answer: files for the paths `pick` chooses from what the brain sent it. */
function modelWrites(pick: (sent: string[]) => { path: string; content: string }[]) {
  return (req: RecordedRequest, res: Parameters<ReturnType<typeof json>>[1]) => {
    const messages = (req.body as { messages: { role: string; content: string }[] }).messages;
    const sent = JSON.parse(messages.filter((m) => m.role === 'user').at(-1)!.content) as {
      files: Record<string, string>;
    };
    const answer = { files: pick(Object.keys(sent.files)), notes: [] };
    return json(200, {
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-test',
      choices: [
        { index: 0, message: { role: 'assistant', content: JSON.stringify(answer) }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    })(req, res);
  };
}

const BY_MODEL = { brain: 'llm', provider: 'fake', model: 'gpt-test' };
const BY_TEMPLATE = { brain: 'offline' };

let home: string;
let server: FakeServer;
let ws: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pa-coding-llm-'));
  server = await startFakeServer();
  await writeFile(
    join(home, 'config.json'),
    JSON.stringify({
      llm: {
        fallback: 'fail',
        providers: { fake: { type: 'openai', baseUrl: `${server.url}/v1`, model: 'gpt-test', apiKey: 'k' } },
        retry: { maxAttempts: 1 },
        repairAttempts: 0,
      },
    }),
  );
  ws = await tempWorkspace('pa-coding-llm-ws-');
});

afterAll(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
  await rm(ws, { recursive: true, force: true });
});

describe('generation manifest: who wrote each file', () => {
  it('records the model as the writer of what it wrote and rewrote, in generation and in fix rounds', async () => {
    const engine = engineLlmFor('coding', { POWERAUTO_HOME: home });
    expect(engine).toBeDefined();
    const brain = createCodingLlmBrain(engine!);
    const specs = librarySpecs();

    // A hand-written test the model will also edit: it stays the developer's, never the generator's.
    await mkdir(join(ws, 'test/llm'), { recursive: true });
    await writeFile(join(ws, 'test/llm/mine.test.ts'), '// written by a developer\n');
    await commitAll(ws, 'hand-written test');

    let handler = '';
    server.enqueue(
      modelWrites((sent) => {
        handler = sent.find((p) => p.startsWith('src/routes/'))!;
        return [
          { path: handler, content: '// handler v1, by the model\n' },
          { path: 'test/llm/extra.test.ts', content: '// a test the model added\n' },
          { path: 'test/llm/mine.test.ts', content: '// the model edited this\n' },
        ];
      }),
    );
    const generated = CodeReport.parse(
      await brain.code_generate!({ ...specs, workspace: ws }, testContext()),
    );
    expect(generated.producedBy).toEqual(BY_MODEL);
    let manifest = (await readManifest(ws))!;
    expect(manifest.files[handler]).toMatchObject({
      sha256: sha256('// handler v1, by the model\n'),
      writtenBy: BY_MODEL,
    });
    // The template's traceability survives the rewrite.
    expect(manifest.files[handler]?.requirementIds.length).toBeGreaterThan(0);
    expect(manifest.files['test/llm/extra.test.ts']).toEqual({
      sha256: sha256('// a test the model added\n'),
      requirementIds: [],
      writtenBy: BY_MODEL,
    });
    expect(manifest.files['test/llm/mine.test.ts']).toBeUndefined();
    expect(manifest.files['src/server.ts']?.writtenBy).toEqual(BY_TEMPLATE);
    // The manifest is committed with the files it describes.
    const committed = execFileSync('git', ['show', `HEAD:${MANIFEST_PATH}`], { cwd: ws, encoding: 'utf8' });
    expect(committed).toBe(await readFile(join(ws, MANIFEST_PATH), 'utf8'));

    // A fix round: the model rewrites its handler again and a file the template wrote.
    const failing: TestReport = {
      suites: [],
      tests: [
        {
          id: 't1',
          name: 'lists books',
          requirementIds: [],
          status: 'failed',
          durationMs: 1,
          error: 'expected 200, got 500',
          file: 'test/llm/extra.test.ts',
        },
      ],
      coverage: null,
      traceability: [],
      passed: false,
      metrics: { testsFailed: 1 },
    };
    server.enqueue(
      modelWrites(() => [
        { path: handler, content: '// handler v2, fixed by the model\n' },
        { path: 'src/server.ts', content: '// server, fixed by the model\n' },
      ]),
    );
    const fixed = CodeReport.parse(
      await brain.code_fix!({ ...specs, testReport: failing, workspace: ws }, testContext()),
    );
    expect(fixed.files.map((f) => f.path).sort()).toEqual([handler, 'src/server.ts'].sort());
    manifest = (await readManifest(ws))!;
    expect(manifest.files[handler]).toMatchObject({
      sha256: sha256('// handler v2, fixed by the model\n'),
      writtenBy: BY_MODEL,
    });
    expect(manifest.files['src/server.ts']).toMatchObject({
      sha256: sha256('// server, fixed by the model\n'),
      writtenBy: BY_MODEL,
    });

    // An offline fix round restores what the template generates: those files are the template's again,
    // while what the model wrote and the template does not (its test) keeps its writer.
    const restored = CodeReport.parse(
      await offlineBrain.code_fix!({ ...specs, testReport: failing, workspace: ws }, testContext()),
    );
    expect(restored.files.map((f) => f.path)).toEqual(expect.arrayContaining([handler, 'src/server.ts']));
    manifest = (await readManifest(ws))!;
    expect(manifest.files[handler]?.writtenBy).toEqual(BY_TEMPLATE);
    expect(manifest.files['src/server.ts']?.writtenBy).toEqual(BY_TEMPLATE);
    expect(manifest.files['test/llm/extra.test.ts']).toMatchObject({
      sha256: sha256('// a test the model added\n'),
      writtenBy: BY_MODEL,
    });
  });
});
