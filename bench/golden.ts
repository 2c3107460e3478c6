/**
 * `npm run bench -- golden`: every golden requirement (English and Chinese, plus the two texts with
 * nothing to build) through the built CLI's prototype template, two runs at a time, each in its own
 * POWERAUTO_HOME with one shared dependency cache; then `npm test` by hand in each workspace.
 * Prints one JSON line: which runs succeeded, and why the others did not.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GOLDEN_EN, GOLDEN_ZH, UNMAPPABLE } from '../src/engines/requirements/golden-texts.js';
import { powerauto } from '../test/helpers/cli.js';

const exec = promisify(execFile);

interface Outcome {
  name: string;
  status: string;
  exitCode: number | null;
  npmTest: 'pass' | 'fail' | 'not run';
  seconds: number;
  /** For a run that did not succeed: the gate or error it stopped at. */
  reason?: string;
}

async function one(name: string, text: string, cacheDir: string): Promise<Outcome> {
  const home = await mkdtemp(join(tmpdir(), 'powerauto-golden-'));
  const started = performance.now();
  try {
    const res = await powerauto(home, ['run', text, '--template', 'prototype', '--yes', '--json'], {
      env: { POWERAUTO_CACHE_DIR: cacheDir },
    });
    const out = JSON.parse(res.stdout || '{}') as { status?: string; workspace?: string };
    const outcome: Outcome = {
      name,
      status: out.status ?? 'no output',
      exitCode: res.code,
      npmTest: 'not run',
      seconds: 0,
    };
    if (out.status !== 'succeeded') {
      outcome.reason = /(?:waits at|failed:).*$/m.exec(res.stderr)?.[0] ?? res.stderr.slice(-300);
    } else if (out.workspace) {
      const npm = await exec('npm', ['test'], { cwd: out.workspace, timeout: 120_000 }).catch(
        (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
      );
      outcome.npmTest = /# fail 0/.test(npm.stdout) && /# pass [1-9]/.test(npm.stdout) ? 'pass' : 'fail';
    }
    outcome.seconds = Math.round((performance.now() - started) / 100) / 10;
    return outcome;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export default async function golden(): Promise<void> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'powerauto-cache-'));
  const jobs = [
    ...Object.entries(GOLDEN_EN).map(([k, text]) => ({ name: `en:${k}`, text })),
    ...Object.entries(GOLDEN_ZH).map(([k, text]) => ({ name: `zh:${k}`, text })),
    ...Object.entries(UNMAPPABLE).map(([k, text]) => ({ name: `${k}:unmappable`, text })),
  ];
  const started = performance.now();
  const results: Outcome[] = [];
  try {
    // Two at a time: the target machine has two cores.
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < jobs.length; i = next++) {
        const job = jobs[i]!;
        results[i] = await one(job.name, job.text, cacheDir);
      }
    };
    await Promise.all([worker(), worker()]);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
  const ok = results.filter((r) => r.status === 'succeeded' && r.exitCode === 0 && r.npmTest === 'pass');
  console.log(
    JSON.stringify({
      bench: 'golden',
      runs: results.length,
      succeeded: ok.length,
      seconds: Math.round((performance.now() - started) / 1000),
      ok: ok.map((r) => `${r.name} ${r.seconds}s`),
      notOk: results.filter((r) => !ok.includes(r)),
    }),
  );
}
