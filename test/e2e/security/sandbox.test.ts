import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCode } from '../../../src/engines/coding/generate.js';
import { librarySpecs, tempWorkspace, testContext } from '../../../src/engines/coding/test-fixtures.js';
import { runTests } from '../../../src/engines/testing/run.js';

// Issue 18, finding 1: a generated test is hostile. It runs through the real testing engine (tsc,
// node:test, the sandbox), tries to become host root through /proc and to read other processes'
// secrets, and the product must still report the honest tests as passing.
process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');
const ctx = testContext();
const workspaces: string[] = [];
afterAll(async () => {
  await Promise.all(workspaces.map((ws) => rm(ws, { recursive: true, force: true })));
});

const HOSTILE = `import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

test('hostile: escape through /proc', () => {
  const out: Record<string, unknown> = { uid: process.getuid?.() };
  try {
    writeFileSync('/proc/sys/kernel/core_pattern', '|/tmp/pwn %p');
    out.corePattern = 'written';
  } catch (e) {
    out.corePattern = (e as NodeJS.ErrnoException).code;
  }
  const pids = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d));
  out.pids = pids.length;
  const environs: string[] = [];
  for (const pid of pids.concat([String(ORCHESTRATOR_PID), '1'])) {
    try {
      environs.push(readFileSync('/proc/' + pid + '/environ', 'utf8'));
    } catch (e) {
      out['environ' + pid] = (e as NodeJS.ErrnoException).code;
    }
  }
  out.environ = environs.join('\\n');
  writeFileSync('attack-result.json', JSON.stringify(out));
});
`;

describe('a hostile generated test (finding 1: sandbox to host root)', () => {
  it('cannot write /proc/sys or read other processes, and the honest tests still pass', async () => {
    const corePatternBefore = await readFile('/proc/sys/kernel/core_pattern', 'utf8');
    process.env.POWERAUTO_ATTACK_CANARY = 'canary-7f3a9c';
    const ws = await tempWorkspace();
    workspaces.push(ws);
    await generateCode({ ...librarySpecs(), workspace: ws }, ctx);
    await writeFile(
      join(ws, 'test', 'unit', 'hostile.test.ts'),
      HOSTILE.replace('ORCHESTRATOR_PID', String(process.pid)),
    );
    try {
      const report = await runTests({ workspace: ws }, ctx);
      const result = JSON.parse(await readFile(join(ws, 'attack-result.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      // The attack failed...
      expect(await readFile('/proc/sys/kernel/core_pattern', 'utf8')).toBe(corePatternBefore);
      expect(result.corePattern).toMatch(/EROFS|EACCES|EPERM/);
      expect(result.uid).not.toBe(0);
      expect(result.environ).not.toContain('canary-7f3a9c');
      expect(result[`environ${process.pid}`]).toBe('ENOENT');
      expect(result.pids as number).toBeLessThan(16);
      // ...the report says what held...
      expect(report.sandbox?.mode).toBe('auto');
      expect(report.sandbox?.proc).toBe('private');
      expect(report.sandbox?.user).toMatch(/dedicated-uid|user-namespace/);
      expect(report.sandbox?.limits?.memory).toBeDefined();
      // ...and the product kept working: the generated suite ran and passed.
      const honest = report.tests.filter((t) => !t.name.startsWith('hostile'));
      expect(honest.length).toBeGreaterThan(5);
      expect(honest.filter((t) => t.status === 'failed')).toEqual([]);
    } finally {
      delete process.env.POWERAUTO_ATTACK_CANARY;
    }
  }, 180_000);
});

describe('a host where the jail cannot be built (finding 5: silent no-isolation)', () => {
  const script = `
    import { mkdtempSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const { Sandbox } = await import(${JSON.stringify(join(process.cwd(), 'dist/sandbox/sandbox.js'))});
    const ws = mkdtempSync(join(tmpdir(), 'pa-nojail-'));
    try {
      const sb = await Sandbox.create({ workspace: ws });
      const res = await sb.run('/bin/echo', ['ran'], { timeoutMs: 5000 });
      console.log(JSON.stringify({ ran: res.stdout.trim(), mode: res.isolation.mode, fs: res.isolation.filesystem }));
    } catch (e) {
      console.log(JSON.stringify({ refused: e.message, code: e.code }));
    }
  `;
  // No unshare on PATH: what a host without util-linux namespaces looks like to the probe.
  const runWithout = async (extra: Record<string, string>) => {
    const { execFile } = await import('node:child_process');
    return new Promise<Record<string, string>>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { env: { PATH: '/nonexistent', HOME: tmpdir(), ...extra } },
        (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as Record<string, string>)),
      ),
    );
  };

  it('refuses to run generated code by default, with a clear error', async () => {
    const out = await runWithout({});
    expect(out.ran).toBeUndefined();
    expect(out.code).toBe('SANDBOX_VIOLATION');
    expect(out.refused).toMatch(/cannot build the sandbox jail.*"sandbox": "none"/);
  });

  it('runs it with sandbox: none, and the result records that it was unisolated', async () => {
    const out = await runWithout({ POWERAUTO_SANDBOX: 'none' });
    expect(out).toEqual({ ran: 'ran', mode: 'none', fs: 'none' });
  });
});
