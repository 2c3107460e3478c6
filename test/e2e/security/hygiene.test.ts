import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, lstat, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCode } from '../../../src/engines/coding/generate.js';
import { librarySpecs, tempWorkspace, testContext } from '../../../src/engines/coding/test-fixtures.js';
import { verifyScripts } from '../../../src/engines/deployment/release/prepare.js';
import { runTests } from '../../../src/engines/testing/run.js';
import { commitAll, commitMessages } from '../../../src/workspace/git.js';

// Issue 18, finding 2: code in the sandbox plants things the orchestrator later runs outside it
// (git hooks, git config textconv/fsmonitor, package.json scripts, the node_modules link).
process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');
const ctx = testContext();
const workspaces: string[] = [];
const marker = join(tmpdir(), `pa-hygiene-pwned-${process.pid}`);
afterAll(async () => {
  await Promise.all(workspaces.map((ws) => rm(ws, { recursive: true, force: true })));
  await rm(marker, { force: true });
});

const PLANTER = `import { appendFileSync, chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

test('hostile: plant for later', () => {
  const out: Record<string, string> = {};
  const attempt = (name: string, fn: () => void) => {
    try { fn(); out[name] = 'done'; } catch (e) { out[name] = (e as NodeJS.ErrnoException).code ?? String(e); }
  };
  attempt('hook', () => {
    writeFileSync('.git/hooks/post-commit', '#!/bin/sh\\ntouch MARKER\\n');
    chmodSync('.git/hooks/post-commit', 0o755);
  });
  attempt('config', () => appendFileSync('.git/config', '[core]\\n\\tfsmonitor = "touch MARKER"\\n[diff "x"]\\n\\ttextconv = "touch MARKER"\\n'));
  attempt('scripts', () => writeFileSync('package.json', JSON.stringify({ name: 'x', scripts: { build: 'touch MARKER' } })));
  attempt('modules', () => {
    rmSync('node_modules', { recursive: true, force: true });
    mkdirSync('node_modules/.bin', { recursive: true });
    writeFileSync('node_modules/.bin/tsc', '#!/bin/sh\\ntouch MARKER\\n');
  });
  writeFileSync('plant-result.json', JSON.stringify(out));
});
`;

describe('planting in the workspace from the sandbox (finding 2)', () => {
  it('cannot change .git, package.json or the dependency link; the orchestrator still commits', async () => {
    const ws = await tempWorkspace();
    workspaces.push(ws);
    await generateCode({ ...librarySpecs(), workspace: ws }, ctx);
    const pkgBefore = await readFile(join(ws, 'package.json'), 'utf8');
    const configBefore = await readFile(join(ws, '.git', 'config'), 'utf8');
    const linkBefore = await readlink(join(ws, 'node_modules'));
    await writeFile(join(ws, 'test', 'unit', 'planter.test.ts'), PLANTER.replaceAll('MARKER', marker));
    const report = await runTests({ workspace: ws }, ctx);
    const result = JSON.parse(await readFile(join(ws, 'plant-result.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(result.hook).toMatch(/EROFS|EACCES/);
    expect(result.config).toMatch(/EROFS|EACCES/);
    expect(result.scripts).toMatch(/EROFS|EACCES/);
    expect(existsSync(join(ws, '.git', 'hooks', 'post-commit'))).toBe(false);
    expect(await readFile(join(ws, '.git', 'config'), 'utf8')).toBe(configBefore);
    expect(await readFile(join(ws, 'package.json'), 'utf8')).toBe(pkgBefore);
    // the link is the orchestrator's (sticky workspace) or put back after the run
    expect((await lstat(join(ws, 'node_modules'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(ws, 'node_modules'))).toBe(linkBefore);
    // The product keeps working: the honest suite passed and the next stage commits.
    expect(report.tests.filter((t) => t.status === 'failed')).toEqual([]);
    await commitAll(ws, 'after the hostile run');
    expect((await commitMessages(ws))[0]).toBe('after the hostile run');
    expect(existsSync(marker)).toBe(false);
  }, 180_000);

  it('a planted hook and config (sandbox: none, or any other way in) never run: git refuses the repo', async () => {
    const ws = await tempWorkspace();
    workspaces.push(ws);
    await writeFile(join(ws, 'a.txt'), 'a');
    await writeFile(join(ws, '.gitattributes'), '*.txt diff=x\n');
    await writeFile(join(ws, '.git', 'hooks', 'post-commit'), `#!/bin/sh\ntouch ${marker}\n`, {
      mode: 0o755,
    });
    // A hook alone is inert: hooksPath is /dev/null on every call.
    await commitAll(ws, 'with a hook planted');
    expect(existsSync(marker)).toBe(false);
    await appendFile(
      join(ws, '.git', 'config'),
      `[core]\n\tfsmonitor = "touch ${marker}"\n[diff "x"]\n\ttextconv = "touch ${marker}"\n`,
    );
    await expect(commitAll(ws, 'with config planted')).rejects.toThrow(
      /git config was changed.*core\.fsmonitor/,
    );
    expect(existsSync(marker)).toBe(false);
    // Plain git (what the orchestrator used to run) would have run it: the attack is real.
    execFileSync('git', ['-C', ws, 'status'], { stdio: 'ignore' });
    expect(existsSync(marker)).toBe(true);
  });

  it('a package.json script changed after the coding engine wrote it is refused at release', async () => {
    const ws = await tempWorkspace();
    workspaces.push(ws);
    await generateCode({ ...librarySpecs(), workspace: ws }, ctx);
    const pkg = JSON.parse(await readFile(join(ws, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    await expect(verifyScripts(ws, pkg.scripts)).resolves.toBeUndefined();
    // committed by a later stage, so HEAD alone would not notice
    await writeFile(
      join(ws, 'package.json'),
      JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, build: `touch ${marker}` } }),
    );
    await commitAll(ws, 'testing: report');
    await expect(verifyScripts(ws, { ...pkg.scripts, build: `touch ${marker}` })).rejects.toThrow(
      /scripts differ.*build/,
    );
  });
});
