import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchitectureSpec, TestPlan } from '../../contracts/architecture.js';
import { CodeGenerateInput } from '../../contracts/engines.js';
import { RequirementsSpec } from '../../contracts/requirements.js';
import { designArchitecture } from '../architecture/design.js';
import { ArchitectureAnswer } from '../architecture/llm.js';
import { deriveTestPlan } from '../architecture/testplan.js';
import { analyzeRequirements } from '../requirements/analyze.js';
import { GOLDEN_EN } from '../requirements/golden-texts.js';
import { RequirementsAnswer } from '../requirements/llm.js';
import { STACK } from '../shared/dev-deps.js';
import { analyzeCode } from './analyze.js';
import { generateCode } from './generate.js';
import { renderService } from './generator.js';
import { buildModel } from './model.js';
import { tempWorkspace, testContext } from './test-fixtures.js';

process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');

// What a reviewer or a model could put into free-text fields: every way out of a comment, a string,
// a template literal, a regex or Markdown, each trying to call PWNED. One line (labels, names) and
// multi-line (requirement texts, which the contract allows to span lines).
const OPEN = '$' + '{'; // a template placeholder opener, as text
const LINE =
  `x */ PWNED(); /* // \`${OPEN}PWNED()}\` " + PWNED() + " ' + PWNED() + ' \\ </script> ` +
  `[l](javascript:PWNED()) <img src=x onerror=PWNED()> | # * _ ~ ! ${OPEN}PWNED()}`;
const PROSE = `${LINE}\nPWNED();\r\n*/ PWNED(); /*\n\`\${PWNED()}\``;

function withLabels(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) withLabels(item);
  else if (typeof node === 'object' && node !== null) {
    const obj = node as Record<string, unknown>;
    if (typeof obj.properties === 'object' && obj.properties !== null) {
      for (const prop of Object.values(obj.properties as Record<string, Record<string, unknown>>))
        prop['x-label'] = LINE;
    }
    for (const value of Object.values(obj)) withLabels(value);
  }
}

/** The library from the real offline engines, then every free-text field the contracts allow set hostile. */
function hostileSpecs() {
  const requirements = RequirementsSpec.parse(analyzeRequirements({ text: GOLDEN_EN.library }));
  const architecture = designArchitecture(requirements, {}, []);
  const testPlan = deriveTestPlan(requirements);
  requirements.projectName = LINE;
  for (const entity of requirements.entities) {
    entity.label = LINE;
    for (const field of entity.fields) {
      field.label = LINE;
      if (field.enumValues) field.enumValues = [LINE.slice(0, 100), ...field.enumValues];
    }
  }
  for (const r of requirements.requirements) {
    r.text = `${r.text}\n${PROSE}`;
    r.source = `${r.source}\n${PROSE}`;
    r.verb = LINE.slice(0, 60);
  }
  for (const c of testPlan.cases) c.name = `[REQ-999] ${LINE.slice(0, 80)} ${c.name}`.slice(0, 200);
  withLabels(architecture.api);
  return {
    requirements: RequirementsSpec.parse(requirements),
    architecture: ArchitectureSpec.parse(architecture),
    testPlan: TestPlan.parse(testPlan),
  };
}

/** Syntax errors, and every identifier the file names: PWNED among them means injected code. */
function parseTs(path: string, code: string): { errors: string[]; identifiers: Set<string> } {
  const file = ts.createSourceFile(path, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diagnostics = (file as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics;
  const identifiers = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node)) identifiers.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return {
    errors: diagnostics.map((d) => `${path}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`),
    identifiers,
  };
}

describe('hostile artifact text that passes the contracts', () => {
  const workspaces: string[] = [];
  afterAll(async () => {
    for (const ws of workspaces) await rm(ws, { recursive: true, force: true });
  });

  it('only ever appears as data in the generated code, README and package.json', () => {
    const { requirements, architecture, testPlan } = hostileSpecs();
    const files = renderService(buildModel(requirements, architecture, testPlan), STACK);
    const sources = files.filter((f) => f.path.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(15);
    for (const f of sources) {
      const { errors, identifiers } = parseTs(f.path, f.content);
      expect(errors).toEqual([]);
      expect(identifiers.has('PWNED'), `${f.path} calls PWNED`).toBe(false);
    }
    // The text did reach the code, as comments and literals (nothing was silently dropped).
    expect(sources.filter((f) => f.content.includes('PWNED')).length).toBeGreaterThan(3);
    // A case name cannot claim coverage of a requirement through a `[REQ-xxx]` in its text.
    const api = files.find((f) => f.path === 'test/integration/api.test.ts')!.content;
    expect(api).not.toContain('[REQ-999]');

    const readme = files.find((f) => f.path === 'README.md')!.content;
    expect(readme).toContain('PWNED');
    // No raw HTML, and the link's brackets are escaped (`\]`), so no link.
    expect(readme).not.toMatch(/<img|<\/script>|(?<!\\)\]\(javascript:/);
    const pkg = JSON.parse(files.find((f) => f.path === 'package.json')!.content) as { description: string };
    expect(pkg.description).toBe(LINE.slice(0, 200));
  });

  it('escaping holds on its own: ids and verbs the contracts would refuse, put straight into the model', () => {
    const { requirements, architecture, testPlan } = hostileSpecs();
    const model = buildModel(requirements, architecture, testPlan);
    // The finding of issue 18: a requirement id into a `//` comment, an action into a `/** */` comment.
    const evil = `REQ-001\nPWNED();\u2028PWNED(); */ PWNED(); /* /PWNED()/ \`\${PWNED()}\``;
    for (const op of model.operations) op.requirementIds.push(evil);
    for (const rule of model.rules) rule.requirementId = evil;
    for (const e of model.entities) if (e.action) e.action.verb = `borrow */ PWNED(); /*\nPWNED();`;
    const files = renderService(model, STACK).filter((f) => f.path.endsWith('.ts'));
    for (const f of files) {
      const { errors, identifiers } = parseTs(f.path, f.content);
      expect(errors).toEqual([]);
      expect(identifiers.has('PWNED'), `${f.path} calls PWNED`).toBe(false);
    }
    expect(files.find((f) => f.path === 'src/rules.ts')!.content).toContain('// REQ-001 PWNED();');
  });

  it('still type-checks, lints and builds as a project', async () => {
    const ws = await tempWorkspace('pa-hostile-');
    workspaces.push(ws);
    const report = await generateCode(
      CodeGenerateInput.parse({ ...hostileSpecs(), workspace: ws }),
      testContext(),
    );
    expect(report.metrics.businessRules).toBeGreaterThan(0);
    const analysis = await analyzeCode({ workspace: ws }, testContext());
    expect(analysis.typecheck.errors).toEqual([]);
    expect(analysis.metrics).toMatchObject({ typeErrors: 0, buildOk: 1 });
    const domain = await readFile(join(ws, 'src', 'domain', 'book.ts'), 'utf8');
    expect(domain).toContain('/** x * / PWNED(); /*');
  });
});

describe('the contracts refuse what would reach code as identifiers or ids', () => {
  const { requirements, architecture, testPlan } = hostileSpecs();
  const trace = architecture.trace[0]!;
  const endpoint = architecture.endpoints[0]!;

  const cases: [string, () => { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }][] = [
    [
      'trace.0.requirementId',
      () =>
        ArchitectureSpec.safeParse({
          ...architecture,
          trace: [{ ...trace, requirementId: "REQ-001\nrequire('fs').writeFileSync('/tmp/x', '')" }],
        }),
    ],
    [
      'endpoints.0.action',
      () =>
        ArchitectureSpec.safeParse({
          ...architecture,
          endpoints: [{ ...endpoint, action: 'create */ process.exit(1); /*' }],
        }),
    ],
    [
      'endpoints.0.path',
      () =>
        ArchitectureSpec.safeParse({
          ...architecture,
          endpoints: [{ ...endpoint, path: `/books/\`${OPEN}process.exit(1)}\`` }],
        }),
    ],
    [
      'endpoints.0.operationId',
      () =>
        ArchitectureSpec.safeParse({
          ...architecture,
          endpoints: [{ ...endpoint, operationId: 'x(){}; process.exit(1); function y' }],
        }),
    ],
    [
      'requirements.0.id',
      () =>
        RequirementsSpec.safeParse({
          ...requirements,
          requirements: [{ ...requirements.requirements[0]!, id: 'REQ-001 */ process.exit(1) /*' }],
        }),
    ],
    [
      'entities.0.label',
      () =>
        RequirementsSpec.safeParse({
          ...requirements,
          entities: [{ ...requirements.entities[0]!, label: 'book\u2028process.exit(1)' }],
        }),
    ],
    [
      'requirements.0.entity',
      () =>
        RequirementsSpec.safeParse({
          ...requirements,
          requirements: [{ ...requirements.requirements[0]!, entity: 'Book\nprocess.exit(1)' }],
        }),
    ],
    ['projectName', () => RequirementsSpec.safeParse({ ...requirements, projectName: 'x'.repeat(201) })],
    [
      'cases.0.requirementIds.0',
      () =>
        TestPlan.safeParse({
          ...testPlan,
          cases: [{ ...testPlan.cases[0]!, requirementIds: ['REQ-001] [REQ-002'] }],
        }),
    ],
    // What a model answers is held to the same contract (its JSON schema is derived from it).
    [
      'trace.0.requirementId',
      () =>
        ArchitectureAnswer.safeParse({ ...architecture, trace: [{ ...trace, requirementId: 'REQ-1\n' }] }),
    ],
    [
      'requirements.0.text',
      () =>
        RequirementsAnswer.safeParse({
          ...requirements,
          requirements: [{ ...requirements.requirements[0]!, text: `a\u0000b` }],
        }),
    ],
  ];

  it.each(cases)('%s', (path, parse) => {
    const result = parse();
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
