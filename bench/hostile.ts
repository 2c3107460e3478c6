/**
 * `npm run bench -- hostile` (issue 18, DoS). Three figures, each against a baseline of the same run:
 * 1. The text pipeline (requirements analysis + architecture design, as the engines run them) on
 *    100 KB hostile texts (test/fixtures/hostile-texts.ts) against a 100 KB ordinary requirement.
 *    Goal: worst ratio ≤ 3.
 * 2. The artifact diff on a 100 KB document rewritten line by line against the same document with
 *    one line changed.
 * 3. GET /api/v1/health p99 on `powerauto serve` (a child process, as users start it) while the
 *    ordinary and the slowest hostile requirement are analysed, against the same probe idle.
 *    Goal: under 100 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactDiff } from '../src/api/artifact-diff.js';
import { offlineBrain as architecture } from '../src/engines/architecture/offline.js';
import type { EngineToolContext } from '../src/engines/brain.js';
import { offlineBrain as requirements } from '../src/engines/requirements/offline.js';
import { HOSTILE_TEXTS, ordinaryText } from '../test/fixtures/hostile-texts.js';

const here = dirname(fileURLToPath(import.meta.url));
const ctx: EngineToolContext = {
  idempotencyKey: undefined,
  signal: new AbortController().signal,
  progress: async () => {},
};
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? NaN;

async function pipelineMs(text: string): Promise<number> {
  const started = performance.now();
  const spec = await requirements.requirements_analyze!({ text }, ctx);
  await architecture.architecture_design!({ requirements: spec }, ctx);
  return performance.now() - started;
}

function diffMs(left: string, right: string): { ms: number; tooLarge: boolean } {
  const started = performance.now();
  const { tooLarge } = artifactDiff('a', 'b', left, right);
  return { ms: performance.now() - started, tooLarge };
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
    s.once('error', fail);
  });
}

/** /health latencies on a `powerauto serve` child while `work` runs (or for `idleMs` when it is undefined). */
async function healthDuring(base: string, work: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  const probe = (async () => {
    while (!done) {
      const t = performance.now();
      await (await fetch(`${base}/api/v1/health`)).arrayBuffer();
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await work();
  done = true;
  await probe;
  return latencies;
}

async function serveProbe(texts: Record<string, string>) {
  const home = mkdtempSync(join(tmpdir(), 'powerauto-bench-hostile-'));
  const port = await freePort();
  const password = 'bench-admin-password';
  const child = spawn(
    process.execPath,
    [resolve(here, '../dist/cli/main.js'), 'serve', '--port', String(port)],
    {
      env: { ...process.env, POWERAUTO_HOME: home, POWERAUTO_ADMIN_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (i > 300) throw new Error('powerauto serve did not start');
      if (
        await fetch(`${base}/api/v1/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const analyse = async (requirement: string) => {
      const res = await fetch(`${base}/api/v1/runs`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          requirement,
          template: 'design',
          options: { gatePolicies: { requirements: 'required' } },
        }),
      });
      if (res.status !== 201) throw new Error(`POST /runs: ${res.status} ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      for (;;) {
        const s = (await (await fetch(`${base}/api/v1/runs/${id}/status`, { headers: auth })).json()) as {
          status: string;
          steps: { key: string; status: string }[];
        };
        if (s.status === 'failed') throw new Error(`run ${id} failed`);
        if (s.steps.find((x) => x.key === 'gate:requirements')?.status === 'waiting_approval') return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const idle = await healthDuring(base, () => new Promise((r) => setTimeout(r, 2000)));
    const during: Record<string, number> = {};
    for (const [name, text] of Object.entries(texts))
      during[name] = round(p99(await healthDuring(base, () => analyse(text))));
    return { idleP99Ms: round(p99(idle)), duringAnalysisP99Ms: during };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

export default async function hostile(): Promise<void> {
  const ordinary = ordinaryText();
  await pipelineMs(ordinary.slice(0, 5000)); // warm-up: lexicons, the compromise model, JIT
  const ordinaryMs = await pipelineMs(ordinary);
  const hostileMs: Record<string, number> = {};
  for (const [name, make] of Object.entries(HOSTILE_TEXTS)) hostileMs[name] = round(await pipelineMs(make()));
  const [worstName, worstMs] = Object.entries(hostileMs).sort((a, b) => b[1] - a[1])[0]!;

  const spec = await requirements.requirements_analyze!({ text: ordinary }, ctx);
  const left = `${JSON.stringify(spec, null, 2)}\n`;
  const lines = left.split('\n');
  const oneLine = [...lines];
  oneLine[Math.floor(lines.length / 2)] = `${oneLine[Math.floor(lines.length / 2)]} `;
  const everyLine = lines.map((l) => `${l}x`).reverse();
  const ordinaryDiff = diffMs(left, oneLine.join('\n'));
  const hostileDiff = diffMs(left, everyLine.join('\n'));

  const health = await serveProbe({ ordinary, [worstName]: HOSTILE_TEXTS[worstName]!() });
  const worstHealth = Math.max(...Object.values(health.duringAnalysisP99Ms));
  console.log(
    JSON.stringify({
      bench: 'hostile',
      bytes: Buffer.byteLength(ordinary),
      pipeline: {
        ordinaryMs: round(ordinaryMs),
        hostileMs,
        worst: worstName,
        worstRatio: round(worstMs / ordinaryMs, 2),
      },
      diff: {
        documentBytes: Buffer.byteLength(left),
        oneLineChangedMs: round(ordinaryDiff.ms),
        everyLineChangedMs: round(hostileDiff.ms),
        everyLineTooLarge: hostileDiff.tooLarge,
        ratio: round(hostileDiff.ms / Math.max(ordinaryDiff.ms, 0.1), 2),
      },
      health,
      goals: { pipelineRatioAtMost3: worstMs / ordinaryMs <= 3, healthP99Under100Ms: worstHealth < 100 },
    }),
  );
}
