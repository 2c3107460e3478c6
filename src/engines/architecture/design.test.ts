import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ArchitectureSpec, TestPlan } from '../../contracts/architecture.js';
import { RequirementsSpec } from '../../contracts/requirements.js';
import type { EngineToolContext } from '../brain.js';
import { analyzeRequirements } from '../requirements/analyze.js';
import { offlineBrain } from './offline.js';

const ctx: EngineToolContext = {
  idempotencyKey: undefined,
  signal: new AbortController().signal,
  progress: async () => {},
};

const LIBRARY =
  'Librarians add books with title, author and ISBN. Each book has a unique ISBN, a due date and a status (available, borrowed or lost). ' +
  'Librarians can view books. Members borrow books. A member can borrow at most 3 books. Members should be able to search books. ' +
  'Members have a name and an email. The API must respond within 200 ms. The service must be 99.9% available.';

async function design(text: string, feedback?: string) {
  const requirements = RequirementsSpec.parse(analyzeRequirements({ text }));
  const raw = await offlineBrain.architecture_design!(
    { requirements, ...(feedback ? { feedback } : {}) },
    ctx,
  );
  return { requirements, arch: ArchitectureSpec.parse(raw) };
}

describe('architecture_design', () => {
  it('maps every functional requirement to a REST operation in a valid OpenAPI 3.1 document', async () => {
    const { requirements, arch } = await design(LIBRARY);
    expect(arch.metrics.openapiValid).toBe(1);
    expect(arch.metrics.mustHavesUntraced).toBe(0);
    const api = arch.api as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: {
        schemas: Record<string, { required?: string[]; properties: Record<string, Record<string, unknown>> }>;
      };
    };
    expect(api.openapi).toBe('3.1.0');
    expect(api.paths['/books']?.post?.operationId).toBe('createBook');
    expect(api.paths['/books/{id}']?.get?.operationId).toBe('getBook');
    expect(api.paths['/books']?.get?.operationId).toBe('listBooks');
    expect(api.paths['/books']?.get?.parameters).toContainEqual(
      expect.objectContaining({ name: 'q', in: 'query' }),
    );
    const borrow = api.paths['/books/{id}/borrow']?.post;
    expect(borrow?.operationId).toBe('borrowBook');
    const rule = requirements.requirements.find((r) => r.kind === 'business_rule')!;
    expect(borrow?.['x-requirement-ids']).toEqual(expect.arrayContaining([rule.id]));
    expect(Object.keys(borrow?.responses as object)).toContain('409');
    const book = api.components.schemas.Book!;
    expect(book.properties.dueDate).toMatchObject({ type: 'string', format: 'date' });
    expect(book.properties.status).toMatchObject({ enum: ['available', 'borrowed', 'lost'] });
    expect(book.properties.isbn).toMatchObject({ 'x-unique': true });
    expect(api.components.schemas.BookInput!.required).toEqual(expect.arrayContaining(['title', 'isbn']));
    expect(api.components.schemas.Member!.properties.email).toMatchObject({ format: 'email' });
    for (const r of requirements.requirements.filter((x) => x.kind === 'functional')) {
      const t = arch.trace.find((x) => x.requirementId === r.id);
      expect(t?.operations.length, r.id).toBeGreaterThan(0);
      expect(t?.components.length, r.id).toBeGreaterThan(0);
    }
    expect(arch.endpoints.map((e) => e.operationId).sort()).toEqual(
      Object.values(api.paths)
        .flatMap((p) => Object.values(p).map((o) => o.operationId as string))
        .sort(),
    );
    expect(arch.metrics.operations).toBe(arch.endpoints.length);
  });

  it('chooses the pattern by rules, adds security for several roles, diagrams and ADRs', async () => {
    const { arch } = await design(LIBRARY);
    expect(arch.pattern.name).toBe('modular_monolith');
    expect(arch.security).toMatchObject({ authentication: 'bearer JWT' });
    expect(arch.techStack.find((t) => t.layer === 'service')?.choice).toBe('TypeScript / Node.js 20');
    expect(arch.techStack.find((t) => t.layer === 'storage')?.choice).toBe('PostgreSQL');
    expect(arch.diagrams.er).toContain('erDiagram');
    expect(arch.diagrams.er).toContain('Member }o--o{ Book');
    expect(arch.diagrams.sequence_borrowBook).toContain('409 Conflict');
    expect(arch.decisions.map((d) => d.id)).toEqual(
      expect.arrayContaining(['ADR-001', 'ADR-002', 'ADR-003', 'ADR-004']),
    );
    expect(arch.scalability.join(' ')).toContain('200');

    const tiny = await design('Users can add notes. A note has a text.');
    expect(tiny.arch.pattern.name).toBe('serverless');
    expect(tiny.arch.security).toMatchObject({ authentication: expect.stringContaining('none') });

    const overridden = await design(LIBRARY, 'use microservices\nuse SQLite\nmake it pretty');
    expect(overridden.arch.pattern.name).toBe('microservices');
    expect(overridden.arch.techStack.find((t) => t.layer === 'storage')?.choice).toBe('SQLite');
    expect(overridden.arch.openQuestions.some((q) => q.includes('make it pretty'))).toBe(true);
  });

  it('writes architecture.md, ADRs, openapi.yaml and test-plan.md into the workspace', async () => {
    const ws = await mkdtemp(join(tmpdir(), 'pa-arch-'));
    try {
      const requirements = RequirementsSpec.parse(analyzeRequirements({ text: LIBRARY }));
      await offlineBrain.architecture_design!({ requirements, workspace: ws }, ctx);
      await offlineBrain.architecture_test_plan!({ requirements, workspace: ws }, ctx);
      const md = await readFile(join(ws, 'docs/architecture.md'), 'utf8');
      expect(md).toContain('```mermaid');
      const doc = parse(await readFile(join(ws, 'openapi.yaml'), 'utf8')) as { openapi: string };
      expect(doc.openapi).toBe('3.1.0');
      expect((await readdir(join(ws, 'docs/adr'))).some((f) => f.startsWith('001-'))).toBe(true);
      expect(await readFile(join(ws, 'docs/test-plan.md'), 'utf8')).toContain('smoke');
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});

describe('architecture_test_plan', () => {
  it('derives cases from every acceptance criterion and one smoke case per created entity', async () => {
    const requirements = RequirementsSpec.parse(analyzeRequirements({ text: LIBRARY }));
    const plan = TestPlan.parse(await offlineBrain.architecture_test_plan!({ requirements }, ctx));
    const criteria = requirements.requirements.flatMap((r) => r.acceptanceCriteria);
    expect(plan.cases.filter((c) => c.kind !== 'smoke')).toHaveLength(criteria.length);
    expect(plan.metrics.requirementsWithoutCases).toBe(0);
    const smoke = plan.cases.filter((c) => c.kind === 'smoke');
    expect(smoke).toHaveLength(1);
    expect(smoke[0]!.operationId).toBe('createBook');
    const create = requirements.requirements.find((r) => r.action === 'create')!;
    const read = requirements.requirements.find((r) => r.action === 'read')!;
    expect(smoke[0]!.requirementIds).toEqual([create.id, read.id]);
    expect(plan.cases.find((c) => c.kind === 'unit')?.requirementIds).toEqual([
      requirements.requirements.find((r) => r.kind === 'business_rule')!.id,
    ]);
    expect(plan.metrics.cases).toBe(plan.cases.length);
  });
});
