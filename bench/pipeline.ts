/**
 * `npm run bench -- pipeline`: the prototype template (requirements -> coding -> testing, fix loop if
 * needed) on three requirements of growing size, through the orchestrator in this process with the
 * real coordinator and engines. The dependency cache is warmed first, so the figures are per run.
 * Prints one JSON line: seconds per stage and in total for each requirement, the ratio to the 20 s
 * target, and the peak RSS of this process (engines run in it; the generated service's build and
 * tests run in sandboxed children, not counted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GOLDEN_EN } from '../src/engines/requirements/golden-texts.js';
import { ensureDevDependencies } from '../src/engines/shared/dev-deps.js';
import { startRealPipeline } from '../test/helpers/real-pipeline.js';

const TARGET_SECONDS = 20;

const REQUIREMENTS: { name: string; text: string }[] = [
  { name: 'small', text: 'Users can create, edit and delete tasks. A task has a title and a due date.' },
  { name: 'medium', text: GOLDEN_EN.library },
  {
    name: 'large',
    text:
      `${GOLDEN_EN.library} Librarians register members. Librarians manage authors. ` +
      'Each author has a name and a biography. Members review books. A review has a rating and a comment. ' +
      'The rating must be at least 1. Librarians manage branches. A branch has a name, an address and an opening time. ' +
      'Members can renew books. A member can renew at most 2 books. Admins view reports.',
  },
];

const round = (ms: number) => Math.round(ms / 10) / 100;

export default async function pipeline(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'powerauto-bench-pipeline-'));
  const previousHome = process.env.POWERAUTO_HOME;
  process.env.POWERAUTO_HOME = home;
  const warmStart = performance.now();
  await ensureDevDependencies();
  const warmMs = performance.now() - warmStart;
  const runtime = await startRealPipeline(home);
  const results: Record<string, unknown>[] = [];
  try {
    for (const req of REQUIREMENTS) {
      const from = runtime.calls.length;
      const started = performance.now();
      const run = await runtime.orchestrator.startRun({ requirement: req.text, template: 'prototype' });
      const done = await runtime.orchestrator.drive(run.id);
      const totalMs = performance.now() - started;
      const stageMs: Record<string, number> = {};
      for (const c of runtime.calls.slice(from)) {
        const stage = c.call.stepKey.startsWith('fix-') ? 'fix' : c.call.stepKey;
        stageMs[stage] = (stageMs[stage] ?? 0) + c.ms;
      }
      const engineMs = Object.values(stageMs).reduce((a, b) => a + b, 0);
      const coding = runtime.calls.slice(from).find((c) => c.call.tool === 'code_generate')?.output as
        | { metrics?: Record<string, number> }
        | undefined;
      results.push({
        name: req.name,
        chars: req.text.length,
        status: done.status,
        operations: coding?.metrics?.operations ?? 0,
        linesOfCode: coding?.metrics?.linesOfCode ?? 0,
        stagesSeconds: Object.fromEntries(Object.entries(stageMs).map(([k, ms]) => [k, round(ms)])),
        // Scheduling, commits and events between the engine calls.
        orchestratorSeconds: round(totalMs - engineMs),
        totalSeconds: round(totalMs),
        ratioToTarget: Math.round((totalMs / 1000 / TARGET_SECONDS) * 100) / 100,
      });
    }
  } finally {
    await runtime.close();
    if (previousHome === undefined) delete process.env.POWERAUTO_HOME;
    else process.env.POWERAUTO_HOME = previousHome;
    await rm(home, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify({
      bench: 'pipeline',
      template: 'prototype',
      cacheWarmSeconds: round(warmMs),
      targetSeconds: TARGET_SECONDS,
      requirements: results,
      allUnderTarget: results.every((r) => (r.totalSeconds as number) < TARGET_SECONDS),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}
