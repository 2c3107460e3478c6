import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, powerauto } from '../helpers/cli.js';

let root: string;
let home: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'powerauto-badinput-'));
  home = join(root, 'home');
});
afterAll(async () => {
  await chmod(join(root, 'locked'), 0o700).catch(() => {});
  await rm(root, { recursive: true, force: true });
});

/** A usage error: exit 2, one line on stderr saying what is wrong, no stack trace. */
function expectUsageError(result: CliResult, message: RegExp) {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^powerauto: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

describe('powerauto refuses bad input clearly', () => {
  it('an empty requirement', async () => {
    expectUsageError(await powerauto(home, ['run', '   ', '--yes']), /the requirement is empty/);
  });

  it('a 2 MB requirement, saying the limit', async () => {
    const file = join(root, 'big.txt');
    await writeFile(file, 'A library service. '.repeat(110_000));
    expectUsageError(
      await powerauto(home, ['run', '--file', file, '--yes']),
      /is 2\.0 MB; the limit is 98 KB/,
    );
  });

  it('binary and NUL-containing requirements', async () => {
    const binary = join(root, 'binary.bin');
    await writeFile(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00, 0x01]));
    expectUsageError(await powerauto(home, ['run', '--file', binary, '--yes']), /not UTF-8 text/);
    expectUsageError(
      await powerauto(home, ['run', '--file', '-', '--yes'], { input: 'build a shop\0with carts' }),
      /binary data \(NUL or control characters\)/,
    );
  });

  it('an unknown template', async () => {
    expectUsageError(
      await powerauto(home, ['run', 'a todo app', '--template', 'huge']),
      /unknown template "huge"/,
    );
  });

  it('an unknown run id', async () => {
    expectUsageError(
      await powerauto(home, ['status', 'run_doesnotexist']),
      /run not found: run_doesnotexist/,
    );
    expectUsageError(await powerauto(home, ['approve', 'run_doesnotexist']), /run not found/);
  });

  it('approving a gate that is not waiting', async () => {
    const done = await powerauto(home, [
      'run',
      'A todo service where users add tasks.',
      '--template',
      'design',
      '--yes',
      '--json',
    ]);
    expect(done.code).toBe(0);
    const { runId } = JSON.parse(done.stdout) as { runId: string };
    expectUsageError(
      await powerauto(home, ['approve', runId, '--gate', 'requirements']),
      /is not waiting for a decision \(it is succeeded\)/,
    );
    expectUsageError(await powerauto(home, ['approve', runId, '--gate', 'nonsense']), /has no gate nonsense/);
  });

  it('a corrupt database under POWERAUTO_HOME', async () => {
    const corrupt = join(root, 'corrupt');
    await mkdir(corrupt);
    await writeFile(join(corrupt, 'powerauto.db'), 'this is not a database '.repeat(200));
    expectUsageError(
      await powerauto(corrupt, ['status']),
      /cannot open the database .*not a PowerAutomation database/,
    );
  });

  it('an unwritable or impossible POWERAUTO_HOME', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    expectUsageError(
      await powerauto(file, ['status']),
      /POWERAUTO_HOME .* is not usable: it is not a directory/,
    );
    const locked = join(root, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    // root ignores permission bits; make the check meaningful by nesting below a file instead.
    const impossible = process.getuid?.() === 0 ? join(file, 'home') : locked;
    expectUsageError(await powerauto(impossible, ['status']), /POWERAUTO_HOME .* is not usable/);
  });

  it('a workspace folder that is not empty', async () => {
    const taken = join(root, 'taken');
    await mkdir(taken);
    await writeFile(join(taken, 'notes.txt'), 'mine');
    expectUsageError(
      await powerauto(home, ['run', 'A todo app.', '--workspace', taken, '--yes']),
      /the workspace folder .*taken is not empty/,
    );
  });

  it('commander usage errors exit 2 too', async () => {
    const result = await powerauto(home, ['reject', 'run_x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/required option '--feedback <text>' not specified/);
  });
});
