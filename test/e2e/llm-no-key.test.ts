import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeServer } from '../../src/llm/testing/fake-server.js';
import { powerauto } from '../helpers/cli.js';

const KEY = 'sk-test-DO-NOT-LEAK-1234';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

let home: string;
let server: FakeServer;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pa-nokey-'));
  server = await startFakeServer();
});
afterAll(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
});

describe('no API key in any log, artifact, event, error, file or row', () => {
  it('runs the design pipeline against a provider that echoes the key back', async () => {
    await writeFile(
      join(home, 'config.json'),
      JSON.stringify({
        llm: {
          providers: {
            fake: {
              type: 'openai',
              baseUrl: `${server.url}/v1`,
              model: 'gpt-test',
              apiKeyEnv: 'POWERAUTO_TEST_KEY',
            },
          },
          retry: { maxAttempts: 1 },
          repairAttempts: 0,
        },
      }),
    );
    // requirements: an error whose body and headers quote the key (the offline brain answers instead);
    // architecture: a 200 answer, written by the LLM brain and measured (its OpenAPI document is invalid).
    server.enqueue(
      (req, res) => {
        res.writeHead(401, {
          'content-type': 'application/json',
          'x-echo': String(req.headers.authorization),
        });
        res.end(
          JSON.stringify({
            error: { message: `Incorrect API key provided: ${req.headers.authorization}`, key: KEY },
          }),
        );
      },
      (_req, res) => {
        const design = {
          pattern: { name: 'modular_monolith', rationale: 'one small service' },
          components: [],
          techStack: [],
          dataModel: [],
          api: { openapi: '3.1.0' },
          endpoints: [],
          deployment: {},
          security: {},
          scalability: [],
          diagrams: {},
          decisions: [],
          trace: [],
          openQuestions: [],
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'c2',
            object: 'chat.completion',
            created: 1,
            model: 'gpt-test',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: JSON.stringify(design) },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 },
          }),
        );
      },
    );
    const r = await powerauto(
      home,
      [
        'run',
        'Librarians can add books with a title. Members can borrow books.',
        '--template',
        'design',
        '--yes',
        '--json',
        '--workspace',
        join(home, 'ws'),
      ],
      { env: { POWERAUTO_TEST_KEY: KEY } },
    );
    // The key really was used: the fake server saw it on both calls.
    expect(server.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
    const summary = JSON.parse(r.stdout) as {
      status: string;
      steps: { key: string; metrics: Record<string, number> | null }[];
    };
    expect(summary.status).toBe('failed');
    expect(summary.steps.find((s) => s.key === 'architecture')?.metrics?.llmInputTokens).toBe(1200);

    const haystacks: [string, string][] = [
      ['stdout', r.stdout],
      ['stderr', r.stderr],
    ];
    const files = filesUnder(home).filter((f) => !f.endsWith('config.json'));
    expect(files.some((f) => f.endsWith('.db') || f.endsWith('.db-wal'))).toBe(true);
    // Git objects are compressed: read the workspace history through git itself.
    const repos = [
      ...new Set(files.filter((f) => f.includes('/.git/')).map((f) => f.slice(0, f.indexOf('/.git/')))),
    ];
    expect(repos.length).toBeGreaterThan(0);
    for (const repo of repos)
      haystacks.push([
        `git log -p ${repo}`,
        execFileSync('git', ['-C', repo, 'log', '-p', '--all'], { encoding: 'utf8' }),
      ]);
    for (const f of files)
      if (statSync(f).size < 50_000_000) haystacks.push([f, readFileSync(f).toString('latin1')]);
    const leaks = haystacks
      .filter(([, text]) => text.includes(KEY) || text.includes('DO-NOT-LEAK'))
      .map(([w]) => w);
    expect(leaks).toEqual([]);
    // The fallback was recorded, with the provider's (redacted) reason.
    const artifacts = haystacks.filter(([w]) => w.endsWith('requirements.json')).map(([, t]) => t);
    expect(artifacts.join('\n')).toMatch(/"fallbackReason": "LLM_FAILED: .*HTTP 401.*\[REDACTED\]/);
  }, 60_000);
});
