import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLI,
  powerauto,
  REPO,
  readDb,
  spawnPowerauto,
  waitFor,
  writeStdioEngineConfig,
} from '../helpers/cli.js';

const REQUIREMENT =
  'A library service where librarians add books with title, author and ISBN. Members borrow books. A member can borrow at most 3 books.';
const ENGINE = 'test/fixtures/engines/side-effect-engine.ts';

let home: string;
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function setup(sleepMs: number) {
  home = await mkdtemp(join(tmpdir(), 'powerauto-crash-'));
  const effects = join(home, 'effects');
  await writeStdioEngineConfig(home, ENGINE, ['requirements', 'architecture'], {
    EFFECTS_DIR: effects,
    SLEEP_MS: String(sleepMs),
  });
  return effects;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

function stepStatus(runId: string, key: string): string | undefined {
  return readDb(
    home,
    (db) =>
      (
        db.prepare('select status from steps where run_id = ? and key = ?').get(runId, key) as
          | { status: string }
          | undefined
      )?.status,
  );
}

/** Every effect once per key; every event sequence number present once, in order. */
function assertExactlyOnce(runId: string, effects: string) {
  const done = lines(join(effects, 'effects.log'));
  expect(new Set(done).size).toBe(done.length);
  expect(done.every((key) => key.startsWith(`${runId}:`))).toBe(true);
  const seqs = readDb(home, (db) =>
    (db.prepare('select seq from events where run_id = ? order by seq').all(runId) as { seq: number }[]).map(
      (r) => r.seq,
    ),
  );
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  return done;
}

describe('durability under SIGKILL', () => {
  it('resumes a run killed while a step is running: the in-flight attempt is re-sent with the same key, its effect happens once', async () => {
    const effects = await setup(1_500);
    const child = spawnPowerauto(home, ['run', REQUIREMENT, '--template', 'design', '--yes', '--json']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const runId = await waitFor('the run id', () => /run (run_[0-9a-f]+)/.exec(stderr)?.[1]);
    // Kill while architecture is mid-call: its engine got the request but has not finished.
    await waitFor('architecture in flight', () =>
      lines(join(effects, 'calls.log')).some((l) => l.startsWith(`${runId}:architecture:1 `)),
    );
    expect(stepStatus(runId, 'architecture')).toBe('running');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));

    const resumed = await powerauto(home, ['resume', runId, '--json']);
    expect(resumed.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout) as {
      status: string;
      steps: { key: string; status: string }[];
    };
    expect(summary.status).toBe('succeeded');

    const done = assertExactlyOnce(runId, effects);
    expect(done).toEqual([`${runId}:requirements:1`, `${runId}:architecture:1`]);
    // The finished step was not called again; the killed one was re-sent with the same key.
    const calls = lines(join(effects, 'calls.log')).map((l) => l.split(' ')[0]);
    expect(calls.filter((k) => k === `${runId}:requirements:1`)).toHaveLength(1);
    expect(calls.filter((k) => k === `${runId}:architecture:1`).length).toBeGreaterThanOrEqual(1);
    expect(calls.some((k) => k === `${runId}:architecture:2`)).toBe(false);
  });

  it('survives a kill while a gate waits for a person: the gate keeps waiting and the run completes after approval', async () => {
    const effects = await setup(0);
    // A terminal, so `run` asks at the gate and stays alive waiting for an answer.
    const shell = spawn(
      'script',
      ['-qfec', `exec ${process.execPath} ${CLI} run "${REQUIREMENT}" --template design`, '/dev/null'],
      {
        cwd: REPO,
        env: { ...process.env, POWERAUTO_HOME: home },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    shell.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const runId = await waitFor('the run id', () => /run (run_[0-9a-f]+)/.exec(output)?.[1]);
    await waitFor(
      'the requirements gate to wait',
      () => stepStatus(runId, 'gate:requirements') === 'waiting_approval',
    );
    await waitFor('the prompt', () => output.includes('[a]pprove'));
    const cliPid = await waitFor('the CLI process', () => {
      const pid = Number(
        readFileSync(`/proc/${shell.pid}/task/${shell.pid}/children`, 'utf8').trim().split(' ')[0],
      );
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    });
    process.kill(cliPid, 'SIGKILL');
    await new Promise((r) => shell.once('close', r));
    expect(stepStatus(runId, 'gate:requirements')).toBe('waiting_approval');

    const first = await powerauto(home, ['approve', runId, '--gate', 'requirements', '--json']);
    expect(first.code).toBe(3);
    expect(JSON.parse(first.stdout)).toMatchObject({
      status: 'waiting_approval',
      waitingAt: ['gate:architecture'],
    });
    expect(first.stderr).toContain(`powerauto approve ${runId} --gate architecture`);

    const second = await powerauto(home, ['approve', runId, '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).status).toBe('succeeded');
    expect(assertExactlyOnce(runId, effects)).toEqual([`${runId}:requirements:1`, `${runId}:architecture:1`]);
    const approvals = readDb(home, (db) =>
      db.prepare("select actor from audit_log where action = 'gate.approve'").all(),
    );
    expect(approvals).toHaveLength(2);
  });
});
