import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathRefusedError } from '../../contracts/errors.js';
import { STACK } from '../shared/dev-deps.js';
import { lit } from '../shared/escape.js';
import { analyzeCode } from './analyze.js';
import { generateCode } from './generate.js';
import { renderService } from './generator.js';
import { camel, IdentifierScope } from './identifiers.js';
import { buildModel } from './model.js';
import { chineseSpecs, librarySpecs, tempWorkspace, testContext } from './test-fixtures.js';
import { writeGeneratedFiles } from './workspace.js';

process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');

describe('identifiers', () => {
  it('turns Chinese and hostile names into safe ASCII identifiers', () => {
    expect(camel('借阅日期')).toBe('loanDate');
    expect(camel('国际标准书号')).toMatch(/^[a-z][A-Za-z0-9]*$/);
    const scope = new IdentifierScope('field');
    for (const raw of [
      '"; process.exit(1); //',
      `$${'{'}evil}`,
      '__proto__',
      'constructor',
      '',
      '123abc',
      'x`y',
    ]) {
      expect(scope.take(raw)).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
    }
    expect(scope.take('name')).toBe('name');
    expect(scope.take('Name')).toBe('name2');
  });

  it('escapes labels into string literals', () => {
    const curly = '$' + '{c}';
    expect(lit(`a"b\`${curly}\u2028`)).toBe(`"a\\"b\`${curly}\\u2028"`);
  });

  it('models the library: routes per operation, the borrowing limit from the rule text', () => {
    const { requirements, architecture, testPlan } = librarySpecs();
    const model = buildModel(requirements, architecture, testPlan);
    expect(model.operations.map((o) => `${o.method} ${o.path} ${o.kind}`)).toContain('POST /loans create');
    expect(model.operations.find((o) => o.operationId === 'listMemberLoans')?.kind).toBe('listChildren');
    expect(model.rules).toEqual([
      expect.objectContaining({ requirementId: 'REQ-005', entity: 'loan', perField: 'memberId', max: 3 }),
    ]);
    const zh = buildModel(chineseSpecs().requirements, undefined, undefined);
    expect(zh.rules).toEqual([expect.objectContaining({ requirementId: 'REQ-005', max: 3 })]);
  });
});

describe('live smoke suite', () => {
  it('is generated from the plan smoke cases, tagged with their requirements, with an npm script', () => {
    const { requirements, architecture, testPlan } = librarySpecs();
    const files = renderService(buildModel(requirements, architecture, testPlan), STACK);
    const smoke = files.find((f) => f.path === 'test/smoke/smoke.test.ts');
    expect(smoke?.requirementIds).toEqual(['REQ-001', 'REQ-008', 'REQ-003']);
    const names = [...(smoke?.content ?? '').matchAll(/^test\((".*?"|'.*?'), \{ skip \}/gm)].map((m) => m[1]);
    expect(names).toEqual([
      "'health answers 200'",
      '"[REQ-001] [REQ-008] TC-005: smoke: create and read back a book"',
      '"[REQ-003] TC-006: smoke: create and read back a member"',
    ]);
    // Live HTTP only: no import of the service's code or store, nothing beyond Node built-ins.
    expect([...(smoke?.content ?? '').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual([
      'node:assert/strict',
      'node:test',
    ]);
    expect(smoke?.content).toContain('process.env.BASE_URL');
    const pkg = JSON.parse(files.find((f) => f.path === 'package.json')?.content ?? '{}');
    expect(pkg.scripts['test:smoke']).toBe('node --test dist/test/smoke/');
  });

  it('is left out when the plan has no smoke case (deploy_verify then runs generic checks)', () => {
    const { requirements, architecture, testPlan } = librarySpecs();
    const plan = { ...testPlan, cases: testPlan.cases.filter((c) => c.kind !== 'smoke') };
    const files = renderService(buildModel(requirements, architecture, plan), STACK);
    expect(files.some((f) => f.path.startsWith('test/smoke/'))).toBe(false);
    expect(
      JSON.parse(files.find((f) => f.path === 'package.json')?.content ?? '{}').scripts,
    ).not.toHaveProperty('test:smoke');
  });
});

describe('generated file paths', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await tempWorkspace();
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  it.each(['../escape.ts', '/etc/escape.ts', 'src/../../escape.ts', '.git/hooks/pre-commit', 'a\0b'])(
    'refuses %j',
    async (path) => {
      await expect(
        writeGeneratedFiles(ws, [{ path, content: 'x', requirementIds: [] }]),
      ).rejects.toBeInstanceOf(PathRefusedError);
    },
  );

  it('refuses a symbolic link leading out, and writes nothing of a refused batch', async () => {
    const outside = join(tmpdir(), `pa-outside-${process.pid}`);
    await mkdir(outside, { recursive: true });
    await symlink(outside, join(ws, 'linked'));
    await expect(
      writeGeneratedFiles(ws, [
        { path: 'ok.ts', content: 'x', requirementIds: [] },
        { path: 'linked/evil.ts', content: 'x', requirementIds: [] },
      ]),
    ).rejects.toBeInstanceOf(PathRefusedError);
    await expect(readFile(join(ws, 'ok.ts'), 'utf8')).rejects.toThrow();
    await expect(readFile(join(outside, 'evil.ts'), 'utf8')).rejects.toThrow();
    await rm(outside, { recursive: true, force: true });
  });
});

describe('code_analyze', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await tempWorkspace();
    const specs = librarySpecs();
    await generateCode({ ...specs, workspace: ws }, testContext());
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  it('measures a clean generated service', async () => {
    const report = await analyzeCode({ workspace: ws }, testContext());
    expect(report.metrics).toMatchObject({ typeErrors: 0, lintErrors: 0, buildOk: 1, securityFindings: 0 });
    expect(report.metrics.files).toBeGreaterThan(15);
    expect(report.metrics.linesOfCode).toBeGreaterThan(500);
    expect(report.metrics.maxComplexity).toBeGreaterThan(1);
  });

  it('counts type errors, lint errors and security findings it is shown', async () => {
    await writeFile(
      join(ws, 'src', 'bad.ts'),
      [
        "import { exec } from 'node:child_process';",
        'export function run(input: string, id: string): number {',
        '  eval(input);',
        `  exec(\`ls $${'{'}input}\`);`,
        "  const sql = 'SELECT * FROM users WHERE id = ' + id;",
        '  if (input == id) debugger;',
        '  const n: number = sql;',
        '  return n;',
        '}',
        '',
      ].join('\n'),
    );
    const report = await analyzeCode({ workspace: ws }, testContext());
    expect(report.metrics.typeErrors).toBe(1);
    expect(report.metrics.buildOk).toBe(0);
    expect(report.metrics.lintErrors).toBeGreaterThanOrEqual(2);
    expect(report.findings.map((f) => f.rule).sort()).toEqual([
      'no-dynamic-child-process',
      'no-eval',
      'no-sql-concatenation',
    ]);
    await rm(join(ws, 'src', 'bad.ts'));
  });
});
