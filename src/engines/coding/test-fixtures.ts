import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchitectureSpec, TestPlan } from '../../contracts/architecture.js';
import { type FieldType, RequirementsSpec } from '../../contracts/requirements.js';
import { initWorkspace } from '../../workspace/git.js';
import type { EngineToolContext } from '../brain.js';

// Hand-built specs (parsed with the contract schemas) for tests of the coding and testing engines.

type Req = RequirementsSpec['requirements'][number];

function req(
  id: string,
  kind: Req['kind'],
  priority: Req['priority'],
  entity: string | null,
  action: string | null,
  text: string,
): Req {
  return {
    id,
    kind,
    text,
    source: text,
    priority,
    actor: null,
    entity,
    action,
    acceptanceCriteria: [{ id: `${id}-AC1`, given: 'a running service', when: text, then: 'it works' }],
  };
}

function spec(
  projectName: string,
  language: 'en' | 'zh',
  entities: RequirementsSpec['entities'],
  requirements: Req[],
) {
  return RequirementsSpec.parse({
    projectName,
    summary: projectName,
    language,
    actors: [],
    entities,
    requirements,
    userStories: [],
    nonFunctional: [],
    feasibility: { complexity: 2, risks: [], feasible: true },
    openQuestions: [],
    metrics: {},
  });
}

interface Op {
  path: string;
  method: string;
  operationId: string;
  reqs: string[];
  schema?: string;
}

function api(ops: Op[], schemas: string[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const ref = op.schema ? { $ref: `#/components/schemas/${op.schema}` } : undefined;
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      'x-requirement-ids': op.reqs,
      ...(ref && (op.method === 'post' || op.method === 'put')
        ? { requestBody: { content: { 'application/json': { schema: ref } } } }
        : {}),
      responses: {
        '200': { description: 'ok', ...(ref ? { content: { 'application/json': { schema: ref } } } : {}) },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'api', version: '1.0.0' },
    paths,
    components: { schemas: Object.fromEntries(schemas.map((s) => [s, { type: 'object' }])) },
  };
}

function architecture(ops: Op[], schemas: string[]) {
  return ArchitectureSpec.parse({
    pattern: { name: 'modular_monolith', rationale: 'small' },
    components: [],
    techStack: [],
    dataModel: [],
    api: api(ops, schemas),
    deployment: {},
    security: {},
    scalability: [],
    diagrams: {},
    decisions: [],
    trace: [],
    metrics: {},
  });
}

const f = (name: string, type: FieldType, required = true, unique = false, label = name) => ({
  name,
  label,
  type,
  required,
  unique,
});

export function librarySpecs() {
  const requirements = spec(
    'Library Service',
    'en',
    [
      {
        name: 'Book',
        label: 'book',
        fields: [
          f('title', 'string'),
          f('author', 'string'),
          f('isbn', 'string', true, true),
          f('published', 'date', false),
        ],
        relations: [],
      },
      {
        name: 'Member',
        label: 'member',
        fields: [f('name', 'string'), f('email', 'email', true, true)],
        relations: [],
      },
      {
        name: 'Loan',
        label: 'loan',
        fields: [f('bookId', 'id'), f('memberId', 'id'), f('dueDate', 'date', false)],
        relations: [],
      },
    ],
    [
      req('REQ-001', 'functional', 'must', 'Book', 'add', 'Librarians add books with title, author and ISBN'),
      req('REQ-002', 'functional', 'must', 'Book', 'list', 'Members list all books'),
      req('REQ-003', 'functional', 'must', 'Member', 'register', 'Librarians register members'),
      req('REQ-004', 'functional', 'must', 'Loan', 'borrow', 'Members borrow books'),
      req(
        'REQ-005',
        'business_rule',
        'must',
        'Member',
        null,
        'A member can borrow at most 3 books at a time',
      ),
      req('REQ-006', 'functional', 'should', 'Book', 'update', 'Librarians update a book'),
      req('REQ-007', 'functional', 'could', 'Book', 'delete', 'Librarians remove a book'),
      req('REQ-008', 'functional', 'should', 'Book', 'view', 'Members view a book'),
      req('REQ-009', 'non_functional', 'should', null, null, 'Responses within 200 ms'),
    ],
  );
  const arch = architecture(
    [
      { path: '/books', method: 'get', operationId: 'listBooks', reqs: ['REQ-002'], schema: 'Book' },
      { path: '/books', method: 'post', operationId: 'createBook', reqs: ['REQ-001'], schema: 'Book' },
      { path: '/books/{id}', method: 'get', operationId: 'getBook', reqs: ['REQ-008'], schema: 'Book' },
      { path: '/books/{id}', method: 'put', operationId: 'updateBook', reqs: ['REQ-006'], schema: 'Book' },
      { path: '/books/{id}', method: 'delete', operationId: 'deleteBook', reqs: ['REQ-007'] },
      { path: '/members', method: 'get', operationId: 'listMembers', reqs: [], schema: 'Member' },
      { path: '/members', method: 'post', operationId: 'createMember', reqs: ['REQ-003'], schema: 'Member' },
      {
        path: '/members/{id}/loans',
        method: 'get',
        operationId: 'listMemberLoans',
        reqs: ['REQ-004'],
        schema: 'Loan',
      },
      {
        path: '/loans',
        method: 'post',
        operationId: 'createLoan',
        reqs: ['REQ-004', 'REQ-005'],
        schema: 'Loan',
      },
      { path: '/loans', method: 'get', operationId: 'listLoans', reqs: [], schema: 'Loan' },
    ],
    ['Book', 'Member', 'Loan'],
  );
  const testPlan = TestPlan.parse({
    cases: [
      {
        id: 'TC-001',
        name: 'librarian adds a book',
        requirementIds: ['REQ-001'],
        kind: 'integration',
        given: '',
        when: '',
        then: '',
      },
      {
        id: 'TC-002',
        name: 'members see the catalogue',
        requirementIds: ['REQ-002'],
        kind: 'integration',
        given: '',
        when: '',
        then: '',
      },
      {
        id: 'TC-003',
        name: 'a member borrows a book',
        requirementIds: ['REQ-004'],
        kind: 'integration',
        given: '',
        when: '',
        then: '',
      },
      {
        id: 'TC-004',
        name: 'a fourth loan is refused',
        requirementIds: ['REQ-005'],
        kind: 'integration',
        given: '',
        when: '',
        then: '',
      },
      // One smoke case (create + read back) per main entity, as the architecture engine marks them.
      {
        id: 'TC-005',
        name: 'smoke: create and read back a book',
        requirementIds: ['REQ-001', 'REQ-008'],
        kind: 'smoke',
        given: 'the deployed service is running',
        when: 'a valid book is created and then read by its id',
        then: 'the book comes back with an id and the submitted fields',
        operationId: 'createBook',
      },
      {
        id: 'TC-006',
        name: 'smoke: create and read back a member',
        requirementIds: ['REQ-003'],
        kind: 'smoke',
        given: 'the deployed service is running',
        when: 'a valid member is created',
        then: 'the member comes back with an id and the submitted fields',
        operationId: 'createMember',
      },
    ],
    metrics: {},
  });
  return { requirements, architecture: arch, testPlan };
}

/** Chinese names: entity and field names must come out as ASCII identifiers. */
export function chineseSpecs() {
  const requirements = spec(
    '图书馆 服务',
    'zh',
    [
      {
        name: 'TuShu',
        label: '图书',
        fields: [
          f('shuMing', 'string', true, false, '书名'),
          f('zuoZhe', 'string', true, false, '作者'),
          f('isbn', 'string', true, true, '国际标准书号'),
        ],
        relations: [],
      },
      {
        name: 'HuiYuan',
        label: '会员',
        fields: [f('xingMing', 'string', true, false, '姓名'), f('youXiang', 'email', true, true, '邮箱')],
        relations: [],
      },
      {
        name: 'JieYue',
        label: '借阅记录',
        fields: [f('tuShuId', 'id', true, false, '图书编号'), f('huiYuanId', 'id', true, false, '会员')],
        relations: [],
      },
    ],
    [
      req('REQ-001', 'functional', 'must', 'TuShu', '添加', '管理员添加图书'),
      req('REQ-002', 'functional', 'must', 'TuShu', '查询', '会员查询图书列表'),
      req('REQ-003', 'functional', 'must', 'HuiYuan', '注册', '管理员注册会员'),
      req('REQ-004', 'functional', 'must', 'JieYue', 'create', '会员借阅图书'),
      req('REQ-005', 'business_rule', 'must', 'HuiYuan', null, '每个会员最多借3本书'),
    ],
  );
  return { requirements, architecture: undefined, testPlan: undefined };
}

export async function tempWorkspace(prefix = 'pa-ws-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await initWorkspace(dir);
  return dir;
}

export function testContext(): EngineToolContext {
  return { idempotencyKey: undefined, signal: new AbortController().signal, progress: async () => undefined };
}
