import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SmokeCheck } from '../../contracts/deployment.js';
import { relayInto } from '../../sandbox/bridge.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { phaseTests, REPORTER_SOURCE, type TestEntry } from '../shared/test-reporter.js';

/** Where the coding engine writes the smoke suite, and where `npm run build` puts it. */
export const SMOKE_SOURCE_DIR = 'test/smoke';
export const SMOKE_BUILD_DIR = 'dist/test/smoke';

export interface SmokeSuite {
  /** Built directory to run, relative to the workspace. */
  dir: string;
  /** False when only the sources exist: the release build did not produce it. */
  built: boolean;
}

async function testFiles(dir: string, pattern: RegExp): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => pattern.test(n));
}

/** The workspace's generated smoke suite, or null when it has none (then only generic checks apply). */
export async function findSmokeSuite(workspace: string): Promise<SmokeSuite | null> {
  const sources = await testFiles(join(workspace, SMOKE_SOURCE_DIR), /\.test\.[cm]?[jt]s$/);
  const built = await testFiles(join(workspace, SMOKE_BUILD_DIR), /\.test\.[cm]?js$/);
  if (sources.length === 0 && built.length === 0) return null;
  return { dir: SMOKE_BUILD_DIR, built: built.length > 0 };
}

export interface SmokeSuiteOptions {
  timeoutMs: number;
  memoryMb: number;
  signal: AbortSignal;
}

function failedCheck(name: string, durationMs: number, error: string): SmokeCheck {
  return {
    name,
    method: 'TEST',
    path: SMOKE_BUILD_DIR,
    status: 0,
    ok: false,
    durationMs,
    error,
    testId: null,
    requirementIds: [],
  };
}

function asCheck(test: TestEntry): SmokeCheck {
  const error =
    test.status === 'passed'
      ? null
      : test.status === 'skipped'
        ? 'skipped: it did not run against the live URL'
        : (test.error ?? 'failed');
  return {
    name: test.name,
    method: 'TEST',
    path: test.file ?? SMOKE_BUILD_DIR,
    status: 0,
    // A skipped smoke test proved nothing about the live service.
    ok: test.status === 'passed',
    durationMs: test.durationMs,
    error,
    testId: test.id,
    requirementIds: test.requirementIds,
  };
}

/**
 * Runs the suite with node:test inside the sandbox, `BASE_URL` set to the live URL. The sandbox keeps
 * its loopback-only network; a relay lets the tests reach that one address and nothing else.
 */
export async function runSmokeSuite(
  workspace: string,
  suite: SmokeSuite,
  url: string,
  options: SmokeSuiteOptions,
): Promise<SmokeCheck[]> {
  if (!suite.built) {
    return [
      failedCheck(
        'smoke suite',
        0,
        `${SMOKE_SOURCE_DIR} exists but ${suite.dir} was not built (release_prepare runs the build)`,
      ),
    ];
  }
  const target = new URL(url);
  const sandbox = await Sandbox.create({ workspace });
  try {
    const reporter = join(sandbox.tmpDir, 'reporter.mjs');
    const out = join(sandbox.tmpDir, 'smoke.jsonl');
    await writeFile(reporter, REPORTER_SOURCE);
    const relay = await relayInto(sandbox, target);
    try {
      const prefix = target.pathname.replace(/\/$/, '');
      const res = await sandbox.run(
        process.execPath,
        [
          relay.bridgePath,
          relay.socketPath,
          prefix,
          '--',
          process.execPath,
          '--test',
          `--test-reporter=${reporter}`,
          `--test-reporter-destination=${out}`,
          `${suite.dir}/`,
        ],
        { timeoutMs: options.timeoutMs, memoryMb: options.memoryMb, signal: options.signal },
      );
      options.signal.throwIfAborted();
      const report = await readFile(out, 'utf8').catch(() => '');
      const checks = phaseTests(res, report, 'smoke', sandbox.workspace).tests.map(asCheck);
      if (res.timedOut) {
        checks.push(
          failedCheck(
            'smoke suite: time limit',
            res.durationMs,
            `TIMEOUT: the smoke suite exceeded its ${options.timeoutMs} ms limit; the sandbox killed it`,
          ),
        );
      } else if (checks.length === 0) {
        checks.push(
          failedCheck(
            'smoke suite',
            res.durationMs,
            `ran no tests: ${(res.stderr || res.stdout).slice(-500)}`,
          ),
        );
      }
      return checks;
    } finally {
      await relay.close();
    }
  } finally {
    await sandbox.dispose();
  }
}
