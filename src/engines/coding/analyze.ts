import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import type { StaticAnalysisReport } from '../../contracts/code.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { isInside } from '../../workspace/files.js';
import type { EngineToolContext } from '../brain.js';
import { biomeBinary, linkDevDependencies } from '../shared/dev-deps.js';

type Finding = StaticAnalysisReport['findings'][number];
type FunctionComplexity = StaticAnalysisReport['complexity'][number];

async function sourceFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(root, path)));
    else if (entry.isFile() && /\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

function functionName(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name.getText();
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent)) {
    return node.parent.name.getText();
  }
  if (ts.isPropertyAssignment(node.parent) || ts.isMethodDeclaration(node.parent))
    return node.parent.name?.getText() ?? '(anonymous)';
  return '(anonymous)';
}

/** McCabe complexity: 1 + decision points inside the function body, nested functions counted on their own. */
function complexityOf(fn: ts.Node): number {
  let n = 1;
  const visit = (node: ts.Node) => {
    if (node !== fn && ts.isFunctionLike(node)) return;
    switch (node.kind) {
      case ts.SyntaxKind.IfStatement:
      case ts.SyntaxKind.ConditionalExpression:
      case ts.SyntaxKind.CaseClause:
      case ts.SyntaxKind.ForStatement:
      case ts.SyntaxKind.ForInStatement:
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.WhileStatement:
      case ts.SyntaxKind.DoStatement:
      case ts.SyntaxKind.CatchClause:
        n++;
        break;
      case ts.SyntaxKind.BinaryExpression: {
        const op = (node as ts.BinaryExpression).operatorToken.kind;
        if (
          op === ts.SyntaxKind.AmpersandAmpersandToken ||
          op === ts.SyntaxKind.BarBarToken ||
          op === ts.SyntaxKind.QuestionQuestionToken
        ) {
          n++;
        }
        break;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(fn);
  return n;
}

const SQL = /^\s*(select|insert|update|delete|drop|create|alter)\b/i;
const SPAWNERS = new Set(['exec', 'execSync', 'spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);

function isStaticString(node: ts.Node | undefined): boolean {
  return node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node));
}

function securityFindings(sf: ts.SourceFile, file: string): Finding[] {
  const out: Finding[] = [];
  const add = (node: ts.Node, rule: string, message: string) =>
    out.push({ rule, file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, message });
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if (name === 'eval' && ts.isIdentifier(callee)) add(node, 'no-eval', 'eval() runs arbitrary code');
      if (name === 'Function' && ts.isIdentifier(callee))
        add(node, 'no-new-function', 'Function() compiles code from a string');
      const command = node.arguments[0];
      const trusted = isStaticString(command) || command?.getText(sf) === 'process.execPath';
      if (SPAWNERS.has(name) && command !== undefined && !trusted) {
        add(node, 'no-dynamic-child-process', `${name}() with a command built at run time`);
      }
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Function') {
      add(node, 'no-new-function', 'new Function() compiles code from a string');
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const sides = [node.left, node.right];
      if (
        sides.some((s) => isStaticString(s) && SQL.test((s as ts.StringLiteral).text)) &&
        !sides.every(isStaticString)
      ) {
        add(node, 'no-sql-concatenation', 'SQL built by string concatenation; use parameters');
      }
    }
    if (ts.isTemplateExpression(node) && SQL.test(node.head.text)) {
      add(node, 'no-sql-concatenation', 'SQL built from a template with values; use parameters');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function complexities(sf: ts.SourceFile, file: string): FunctionComplexity[] {
  const out: FunctionComplexity[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      out.push({
        file,
        name: functionName(node),
        line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
        complexity: complexityOf(node),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function countCode(text: string): number {
  let inBlock = false;
  let n = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    if (line.startsWith('/*')) {
      inBlock = !line.includes('*/');
      continue;
    }
    n++;
  }
  return n;
}

function formatDiagnostic(d: ts.Diagnostic, root: string): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${relative(root, d.file.fileName)}:${line + 1}:${character + 1} TS${d.code}: ${message}`;
}

/** Type check and in-memory emit with the TypeScript compiler API; nothing is written (a hostile outDir cannot escape). */
function typecheck(root: string): {
  errors: string[];
  build: { ok: boolean; output: string };
  program: ts.Program | null;
} {
  const configPath = join(root, 'tsconfig.json');
  if (!existsSync(configPath)) {
    return {
      errors: ['tsconfig.json is missing'],
      build: { ok: false, output: 'tsconfig.json is missing' },
      program: null,
    };
  }
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) {
    const msg = formatDiagnostic(read.error, root);
    return { errors: [msg], build: { ok: false, output: msg }, program: null };
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configPath));
  const rootNames = parsed.fileNames.filter((f) => isInside(root, f));
  const program = ts.createProgram({
    rootNames,
    options: { ...parsed.options, noEmit: false, declaration: false },
  });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  let emitted = 0;
  const emit = program.emit(undefined, (_name, text) => {
    emitted += text.length;
  });
  const emitErrors = emit.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  const errors = [...diagnostics, ...emitErrors].map((d) => formatDiagnostic(d, root));
  const ok = !emit.emitSkipped && errors.length === 0;
  return {
    errors: diagnostics.map((d) => formatDiagnostic(d, root)),
    build: {
      ok,
      output: ok ? `emitted ${emitted} characters of JavaScript` : errors.slice(0, 20).join('\n'),
    },
    program,
  };
}

/** Biome (the product's own binary) run inside the sandbox on the workspace; counts error diagnostics. */
async function lint(root: string): Promise<{ ok: boolean; errors: string[] }> {
  const biome = biomeBinary();
  if (!biome)
    return { ok: false, errors: ['@biomejs/biome is not installed with PowerAutomation: lint not measured'] };
  const sandbox = await Sandbox.create({ workspace: root, readOnly: [dirname(dirname(dirname(biome)))] });
  try {
    const res = await sandbox.run(
      process.execPath,
      [biome, 'lint', '--reporter=json', '--max-diagnostics=200', '.'],
      {
        timeoutMs: 60_000,
      },
    );
    const start = res.stdout.indexOf('{');
    if (start < 0) return { ok: false, errors: [`biome produced no report: ${res.stderr.slice(0, 500)}`] };
    const report = JSON.parse(res.stdout.slice(start)) as {
      summary: { errors: number };
      diagnostics: {
        severity: string;
        message: string;
        category?: string;
        location?: { path?: string; start?: { line: number } };
      }[];
    };
    const errors = report.diagnostics
      .filter((d) => d.severity === 'error' || d.severity === 'fatal')
      .map((d) =>
        `${d.location?.path ?? '?'}:${d.location?.start?.line ?? 0} ${d.category ?? ''} ${d.message}`.trim(),
      );
    const count = Math.max(report.summary.errors, errors.length);
    while (errors.length < count) errors.push('(diagnostic not printed)');
    return { ok: count === 0, errors };
  } finally {
    await sandbox.dispose();
  }
}

export async function analyzeCode(
  input: { workspace: string },
  ctx: EngineToolContext,
): Promise<StaticAnalysisReport> {
  const root = input.workspace;
  await linkDevDependencies(root);
  await ctx.progress(0, 3, 'type check');
  const check = typecheck(root);
  await ctx.progress(1, 3, 'lint');
  const linted = await lint(root);
  await ctx.progress(2, 3, 'measure');
  const files = await sourceFiles(root);
  let loc = 0;
  const findings: Finding[] = [];
  const functions: FunctionComplexity[] = [];
  for (const path of files) {
    const text = await readFile(path, 'utf8');
    const rel = relative(root, path);
    loc += countCode(text);
    const sf =
      check.program?.getSourceFile(path) ??
      ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    findings.push(...securityFindings(sf, rel));
    functions.push(...complexities(sf, rel));
  }
  functions.sort((a, b) => b.complexity - a.complexity);
  return {
    typecheck: { ok: check.errors.length === 0, errors: check.errors.slice(0, 200) },
    lint: { ok: linted.ok, errors: linted.errors.slice(0, 200), tool: 'biome' },
    build: check.build,
    findings,
    complexity: functions.slice(0, 20),
    metrics: {
      typeErrors: check.errors.length,
      lintErrors: linted.errors.length,
      buildOk: check.build.ok ? 1 : 0,
      files: files.length,
      linesOfCode: loc,
      maxComplexity: functions[0]?.complexity ?? 0,
      securityFindings: findings.length,
    },
  };
}
