import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv } from './env.js';
import { probeIsolation, Sandbox } from './sandbox.js';

describe('sandboxEnv', () => {
  it('keeps the allow-list and drops anything that looks like a credential', () => {
    const { env, withheld } = sandboxEnv(
      {
        PATH: '/x',
        LANG: 'C',
        OPENAI_API_KEY: 'k',
        GITHUB_TOKEN: 't',
        DB_PASSWORD: 'p',
        HOME: '/root',
        NODE_ENV: 'dev',
      },
      { HOME: '/tmp/h', MY_SECRET: 's', PORT: '1' },
    );
    expect(env).toEqual({ LANG: 'C', NODE_ENV: 'dev', HOME: '/tmp/h', PORT: '1', PATH: expect.any(String) });
    expect(env.PATH).not.toBe('/x');
    expect(withheld).toEqual(
      expect.arrayContaining(['OPENAI_API_KEY', 'GITHUB_TOKEN', 'DB_PASSWORD', 'MY_SECRET']),
    );
  });
});

describe('Sandbox', () => {
  let workspace: string;
  let outside: string;
  let sandbox: Sandbox;

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'pa-sbx-ws-'));
    outside = await mkdtemp(join(tmpdir(), 'pa-sbx-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'orchestrator data');
    sandbox = await Sandbox.create({ workspace });
  });

  afterAll(async () => {
    await sandbox.dispose();
    await rm(workspace, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  const node = (code: string, timeoutMs = 10_000) =>
    sandbox.run(process.execPath, ['--input-type=module', '-e', code], { timeoutMs, memoryMb: 128 });

  it('reports what this host lets it enforce', () => {
    const isolation = probeIsolation();
    expect(['namespace', 'none']).toContain(isolation.filesystem);
    if (isolation.filesystem === 'none') expect(isolation.reason).toBeTruthy();
  });

  it('writes in the workspace only', async () => {
    const res = await node(`
      import { writeFileSync } from 'node:fs';
      writeFileSync('made-inside.txt', 'ok');
      try { writeFileSync(${JSON.stringify(join(outside, 'planted.txt'))}, 'x'); console.log('WROTE OUTSIDE'); }
      catch (e) { console.log('refused', e.code); }
    `);
    expect(res.exitCode).toBe(0);
    expect(await readFile(join(workspace, 'made-inside.txt'), 'utf8')).toBe('ok');
    if (sandbox.isolation.filesystem === 'namespace') {
      expect(res.stdout).toMatch(/refused (ENOENT|EROFS|EACCES)/);
      await expect(readFile(join(outside, 'planted.txt'), 'utf8')).rejects.toThrow();
    }
  });

  it('cannot read files outside the workspace', async () => {
    const res = await node(`
      import { readFileSync } from 'node:fs';
      try { console.log(readFileSync(${JSON.stringify(join(outside, 'secret.txt'))}, 'utf8')); }
      catch (e) { console.log('refused', e.code); }
    `);
    if (sandbox.isolation.filesystem === 'namespace') {
      expect(res.stdout).toMatch(/refused ENOENT/);
      expect(res.stdout).not.toContain('orchestrator data');
    }
  });

  it('does not pass the orchestrator secrets', async () => {
    process.env.POWERAUTO_TEST_SECRET = 'very-secret-value';
    try {
      const res = await node('console.log(JSON.stringify(process.env))');
      expect(res.stdout).not.toContain('very-secret-value');
      expect(res.withheldEnv).toContain('POWERAUTO_TEST_SECRET');
      const env = JSON.parse(res.stdout) as Record<string, string>;
      expect(env.HOME).toBe(sandbox.tmpDir);
      expect(Object.keys(env).filter((k) => /KEY|TOKEN|SECRET|PASSWORD/i.test(k))).toEqual([]);
    } finally {
      delete process.env.POWERAUTO_TEST_SECRET;
    }
  });

  it('kills a program that runs forever, with its children, and keeps us running', async () => {
    const started = Date.now();
    const res = await node(
      `import { spawn } from 'node:child_process';
       spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: true });
       setInterval(() => {}, 1000);`,
      1500,
    );
    expect(res.timedOut).toBe(true);
    expect(res.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('limits the heap', async () => {
    const res = await node('const a = []; for (;;) a.push(new Array(1e6).fill(1));', 20_000);
    expect(res.exitCode).not.toBe(0);
    expect(res.timedOut).toBe(false);
    expect(res.stderr).toMatch(/heap/i);
  });

  it('allows loopback and nothing else on the network', async () => {
    const res = await node(`
      import { createServer } from 'node:http';
      const server = createServer((_q, s) => s.end('pong')).listen(0, '127.0.0.1', async () => {
        const local = await (await fetch('http://127.0.0.1:' + server.address().port)).text();
        let remote = 'reached';
        try { await fetch('http://1.1.1.1', { signal: AbortSignal.timeout(3000) }); } catch (e) { remote = e.cause?.code ?? e.name; }
        console.log(local, remote);
        server.close();
      });
    `);
    expect(res.stdout).toMatch(/^pong /);
    if (sandbox.isolation.network === 'loopback') expect(res.stdout).toMatch(/pong ENETUNREACH/);
  });

  it('runs as an unprivileged uid with no groups, a private /proc and a read-only /proc/sys', async () => {
    const res = await node(`
      import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
      const status = readFileSync('/proc/self/status', 'utf8');
      const pick = (k) => status.split('\\n').find((l) => l.startsWith(k + ':')).slice(k.length + 1).trim();
      let sys = 'written';
      try { writeFileSync('/proc/sys/kernel/core_pattern', '|/bin/true'); } catch (e) { sys = e.code; }
      const pids = readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).length;
      console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), groups: pick('Groups'),
        capEff: pick('CapEff'), sys, pids }));
    `);
    expect(res.exitCode, res.stderr).toBe(0);
    const seen = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(seen.uid).not.toBe(0);
    expect(seen.capEff).toBe('0000000000000000');
    expect(seen.sys).toMatch(/EROFS|EACCES/);
    // sh, prlimit's exec, node: a handful, never the host's hundreds
    expect(seen.pids as number).toBeLessThan(10);
    if (sandbox.isolation.user === 'dedicated-uid') {
      expect(seen.uid).toBe(sandbox.uid);
      expect(seen.gid).toBe(sandbox.uid);
      expect(seen.groups).toBe('');
    }
  });
});

describe('Sandbox limits', () => {
  it('says which kernel limits held and enforces memory on the whole jail', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'pa-sbx-mem-'));
    const sandbox = await Sandbox.create({ workspace, limits: { memoryMb: 256 } });
    try {
      const res = await sandbox.run(
        process.execPath,
        ['-e', 'const a = []; for (;;) { a.push(Buffer.alloc(16 * 1024 * 1024, 1)); }'],
        { timeoutMs: 20_000 },
      );
      expect(res.limits).not.toBeNull();
      const memory = res.limits?.memory;
      if (memory?.enforcedBy !== 'none') {
        // Buffers are outside the V8 heap: only the cgroup stops this one.
        expect(memory?.max).toBe(256 * 1024 * 1024);
        expect(res.exitCode).not.toBe(0);
        expect(res.timedOut).toBe(false);
        expect(res.usage.memoryLimitHit).toBe(true);
      } else {
        expect(memory.reason).toBeTruthy();
      }
    } finally {
      await sandbox.dispose();
      await rm(workspace, { recursive: true, force: true });
    }
  });

  it('caps the number of processes in the jail', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'pa-sbx-pids-'));
    const sandbox = await Sandbox.create({ workspace, limits: { pids: 20 } });
    try {
      const res = await sandbox.run(
        '/bin/sh',
        ['-c', 'i=0; while [ $i -lt 60 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; echo started; kill 0'],
        { timeoutMs: 20_000 },
      );
      if (res.limits?.pids.enforcedBy !== 'none') expect(res.usage.pidsLimitHit).toBe(true);
      else expect(res.limits?.pids.reason).toBeTruthy();
    } finally {
      await sandbox.dispose();
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
