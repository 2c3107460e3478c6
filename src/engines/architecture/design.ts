import type { ArchitectureSpec, Component, Decision } from '../../contracts/architecture.js';
import type { RequirementsSpec } from '../../contracts/requirements.js';
import { kebabPlural, snakePlural } from '../shared/naming.js';
import { buildOpenApi, storedFields } from '../shared/openapi.js';
import { containerDiagram, contextDiagram, erDiagram, sequenceDiagrams } from './diagrams.js';

type PatternName = ArchitectureSpec['pattern']['name'];

export interface DesignOverrides {
  pattern?: PatternName;
  storage?: string;
}

function nfr(spec: RequirementsSpec, metric: string): number | undefined {
  return spec.nonFunctional.find((n) => n.metric === metric || n.metric.startsWith(metric))?.value;
}

/** Pattern rules, in order; the first that fires wins. */
export function choosePattern(spec: RequirementsSpec): ArchitectureSpec['pattern'] {
  const users = nfr(spec, 'concurrent_users') ?? 0;
  const throughput = nfr(spec, 'throughput') ?? 0;
  const functional = spec.requirements.filter((r) => r.kind === 'functional').length;
  const realTime = spec.techHints.includes('real-time');
  if (
    spec.entities.length >= 8 &&
    (users >= 100_000 || throughput >= 5_000) &&
    spec.feasibility.complexity >= 7
  ) {
    return {
      name: 'microservices',
      rationale: `${spec.entities.length} entities with a scale target (${users} concurrent users, ${throughput} req/s) and complexity ${spec.feasibility.complexity}/10: independent services can scale and deploy separately.`,
    };
  }
  const strictLatency = (nfr(spec, 'latency') ?? Number.POSITIVE_INFINITY) < 300;
  const highAvailability = (nfr(spec, 'availability') ?? 0) >= 99.9;
  if (
    functional > 0 &&
    functional <= 3 &&
    spec.entities.length <= 1 &&
    !realTime &&
    !strictLatency &&
    !highAvailability
  ) {
    return {
      name: 'serverless',
      rationale: `${functional} operation(s) on ${spec.entities.length} entity and no latency, availability or real-time target: stateless functions cost nothing when idle. The generated code is one small TypeScript handler per operation that also runs as a plain Node.js 20 process.`,
    };
  }
  return {
    name: 'modular_monolith',
    rationale: `${spec.entities.length} entit${spec.entities.length === 1 ? 'y' : 'ies'}, ${functional} functional requirement(s), complexity ${spec.feasibility.complexity}/10${users > 0 ? `, ${users} concurrent users` : ''}: one deployable service with a module per entity is the simplest design that meets the targets; modules keep the seams to split later.`,
  };
}

function storageOf(
  spec: RequirementsSpec,
  pattern: PatternName,
  override?: string,
): { choice: string; reason: string } {
  if (override !== undefined) return { choice: override, reason: 'Chosen by the reviewer' };
  for (const db of ['PostgreSQL', 'MySQL', 'MongoDB', 'SQLite']) {
    if (spec.techHints.includes(db)) return { choice: db, reason: `Named in the requirements` };
  }
  const users = nfr(spec, 'concurrent_users') ?? 0;
  if (pattern !== 'modular_monolith' || users >= 10_000 || (nfr(spec, 'availability') ?? 0) >= 99.9) {
    return {
      choice: 'PostgreSQL',
      reason: 'Several replicas must share one database; relational data with constraints',
    };
  }
  return {
    choice: 'SQLite',
    reason:
      'Embedded, zero-ops relational store; enough for one instance; swap for PostgreSQL when scaling out',
  };
}

const EXTERNALS: Record<string, string> = {
  payments: 'Payment provider',
  notifications: 'Email / SMS / push provider',
  geolocation: 'Maps provider',
  'file-storage': 'Object storage',
  'machine-learning': 'Recommendation model',
};

export interface DesignResult {
  spec: ArchitectureSpec;
}

export function designArchitecture(
  req: RequirementsSpec,
  overrides: DesignOverrides,
  questions: string[],
): ArchitectureSpec {
  const pattern =
    overrides.pattern === undefined
      ? choosePattern(req)
      : { name: overrides.pattern, rationale: 'Chosen by the reviewer (feedback).' };
  const storage = storageOf(req, pattern.name, overrides.storage);
  const distinctActors = new Set(
    req.requirements.filter((r) => r.kind === 'functional').map((r) => r.actor ?? ''),
  );
  const authAsked =
    req.requirements.some((r) => r.action === 'auth') || req.techHints.includes('authentication');
  const secured = authAsked || distinctActors.size > 1;
  const { doc, endpoints } = buildOpenApi(req, secured);

  // Components: the HTTP layer, a module per entity, persistence, and cross-cutting pieces asked for.
  const components: Component[] = [];
  const opsByReq = new Map<string, string[]>();
  for (const ep of endpoints) {
    for (const id of ep.requirementIds) opsByReq.set(id, [...(opsByReq.get(id) ?? []), ep.operationId]);
  }
  const compsByReq = new Map<string, string[]>();
  const link = (id: string, comp: string) => {
    const list = compsByReq.get(id) ?? [];
    if (!list.includes(comp)) list.push(comp);
    compsByReq.set(id, list);
  };
  const functionalIds = req.requirements
    .filter((r) => r.kind === 'functional' && r.priority !== 'wont')
    .map((r) => r.id);
  components.push({
    name: 'HTTP API',
    responsibility:
      'Routing, input validation against the OpenAPI schemas, error mapping, health and metrics endpoints',
    requirementIds: [...opsByReq.keys()],
  });
  for (const id of opsByReq.keys()) link(id, 'HTTP API');
  for (const e of req.entities) {
    const name = `${e.name} module`;
    const ids = req.requirements
      .filter((r) => r.entity === e.name && r.priority !== 'wont' && r.kind !== 'non_functional')
      .map((r) => r.id);
    const actions = [
      ...new Set(
        req.requirements.filter((r) => r.entity === e.name && r.action !== null).map((r) => r.action),
      ),
    ];
    components.push({
      name,
      responsibility: `${e.label}: ${actions.length > 0 ? actions.join(', ') : 'stored data only'}; enforces its business rules`,
      requirementIds: ids,
    });
    for (const id of ids) link(id, name);
  }
  components.push({
    name: 'Persistence',
    responsibility: `${storage.choice}: one table per entity (${req.entities.map((e) => snakePlural(e.name)).join(', ') || 'none yet'})`,
    requirementIds: [],
  });
  if (secured) {
    const ids = req.requirements
      .filter((r) => r.action === 'auth' || r.text.startsWith('security'))
      .map((r) => r.id);
    components.push({
      name: 'Auth',
      responsibility: 'Bearer-token authentication and role checks per operation',
      requirementIds: ids,
    });
    for (const id of ids) link(id, 'Auth');
  }
  const nfrIds = req.requirements
    .filter((r) => r.kind === 'non_functional' && r.action !== 'auth')
    .map((r) => r.id);
  components.push({
    name: 'Observability',
    responsibility:
      'Request metrics (latency percentiles, error rate), structured logs, health check: measures the NFR targets',
    requirementIds: nfrIds,
  });
  for (const id of nfrIds) link(id, 'Observability');
  if (req.techHints.includes('real-time')) {
    components.push({
      name: 'Realtime gateway',
      responsibility: 'Pushes changes to connected clients (WebSocket/SSE)',
      requirementIds: [],
    });
  }
  const externals = req.techHints.filter((h) => EXTERNALS[h] !== undefined).map((h) => EXTERNALS[h]!);
  for (const x of externals)
    components.push({
      name: `${x} adapter`,
      responsibility: `Calls the ${x} behind an interface`,
      requirementIds: [],
    });

  const trace = req.requirements.map((r) => ({
    requirementId: r.id,
    components: compsByReq.get(r.id) ?? [],
    operations: opsByReq.get(r.id) ?? [],
  }));
  const mustHavesUntraced = req.requirements.filter(
    (r) =>
      r.kind === 'functional' &&
      r.priority === 'must' &&
      ((compsByReq.get(r.id) ?? []).length === 0 || (opsByReq.get(r.id) ?? []).length === 0),
  ).length;

  const techStack = [
    {
      layer: 'service',
      choice: 'TypeScript / Node.js 20',
      reason:
        'The generated service: Fastify, Kysely migrations, pino logs, Prometheus metrics, strict types',
    },
    {
      layer: 'api',
      choice: 'REST + OpenAPI 3.1',
      reason: 'One contract for code, tests and clients; validated when designed',
    },
    { layer: 'storage', ...storage },
    ...(secured
      ? [
          {
            layer: 'auth',
            choice: 'JWT bearer tokens',
            reason: `${distinctActors.size} roles with different operations`,
          },
        ]
      : []),
    ...(req.techHints.includes('Redis') || (nfr(req, 'latency') ?? Number.POSITIVE_INFINITY) < 100
      ? [
          {
            layer: 'cache',
            choice: 'Redis',
            reason: 'Read cache for a tight latency target or named in the text',
          },
        ]
      : []),
    ...(req.techHints.includes('real-time')
      ? [
          {
            layer: 'realtime',
            choice: 'WebSocket / Server-Sent Events',
            reason: 'Real-time updates were asked for',
          },
        ]
      : []),
    {
      layer: 'observability',
      choice: 'Prometheus metrics + structured JSON logs',
      reason: 'The monitoring stage reads latency and error rate',
    },
    {
      layer: 'deployment',
      choice:
        req.techHints.includes('Kubernetes') || pattern.name === 'microservices'
          ? 'Containers on Kubernetes'
          : 'Node.js process (container optional)',
      reason:
        pattern.name === 'microservices'
          ? 'Several services to schedule and scale'
          : 'One process is enough; the deployment engine runs it locally or in a container',
    },
  ];

  const availability = nfr(req, 'availability');
  const replicas =
    pattern.name === 'serverless'
      ? 0
      : availability !== undefined && availability >= 99.9
        ? 3
        : availability !== undefined
          ? 2
          : 1;
  const deployment = {
    pattern: pattern.name,
    units:
      pattern.name === 'microservices'
        ? req.entities.map((e) => `${kebabPlural(e.name)}-service`)
        : ['service'],
    replicas,
    environments: ['staging', 'production'],
    healthCheck: 'GET /health',
    storage: storage.choice,
    rollback: 'previous release on failed staging checks or production alerts',
  };
  const security = {
    authentication: secured ? 'bearer JWT' : 'none (no roles or sign-in in the requirements)',
    roles: secured
      ? [...distinctActors]
          .filter((a) => a.length > 0)
          .map((a) => ({
            role: a,
            operations: endpoints
              .filter((ep) =>
                ep.requirementIds.some((id) => req.requirements.find((r) => r.id === id)?.actor === a),
              )
              .map((ep) => ep.operationId),
          }))
      : [],
    inputValidation: 'every request body is validated against its schema; unknown fields are refused',
    transport: 'TLS terminated in front of the service',
    secrets: 'from the environment, never in the repository',
  };
  const scalability: string[] = [];
  for (const n of req.nonFunctional) {
    if (n.metric.startsWith('latency')) {
      scalability.push(
        `${n.metric} ${n.op} ${n.value} ms: CRUD on indexed ${storage.choice} rows takes a few ms in one process; indexes on unique fields; the monitoring stage alerts above the target.`,
      );
    } else if (n.metric === 'availability') {
      scalability.push(
        `availability ${n.op} ${n.value}%: ${replicas} replica(s) behind a health-checked load balancer, automatic rollback on failed checks.`,
      );
    } else if (n.metric === 'concurrent_users') {
      scalability.push(
        `${n.value} concurrent users: the service is stateless (state in ${storage.choice}); scale replicas horizontally and load test at the target.`,
      );
    } else if (n.metric === 'throughput') {
      scalability.push(
        `${n.value} req/s: stateless handlers; measure a single process first, then add replicas.`,
      );
    } else {
      scalability.push(`${n.metric} ${n.op} ${n.value} ${n.unit}: measured by the monitoring stage.`);
    }
  }
  if (scalability.length === 0)
    scalability.push(
      'No measurable scale target was given: one instance; the monitoring stage watches p95 latency (500 ms default) and error rate.',
    );

  const decisions: Decision[] = [
    {
      id: 'ADR-001',
      title: `Use a ${pattern.name.replaceAll('_', ' ')}`,
      context: req.summary,
      decision: pattern.rationale,
      consequences:
        pattern.name === 'modular_monolith'
          ? "One build, one deployment; modules must not reach into each other's tables."
          : pattern.name === 'microservices'
            ? 'Independent scaling; network calls and data consistency need care.'
            : 'No idle cost; cold starts and per-call limits apply.',
    },
    {
      id: 'ADR-002',
      title: `Store data in ${storage.choice}`,
      context: `${req.entities.length} entities with relations`,
      decision: `${storage.choice}: ${storage.reason}.`,
      consequences: 'One table per entity; unique fields get unique indexes.',
    },
    {
      id: 'ADR-003',
      title: 'REST API described by OpenAPI 3.1',
      context: `${endpoints.length} operations derived from the functional requirements`,
      decision:
        'Resource paths per entity, custom actions as POST /{resource}/{id}/{action}; every operation carries x-requirement-ids.',
      consequences: 'Code, tests and clients are generated from or checked against one document.',
    },
  ];
  if (secured) {
    decisions.push({
      id: 'ADR-004',
      title: 'Authenticate with bearer tokens and check roles per operation',
      context: `Actors: ${req.actors.join(', ') || 'users'}`,
      decision: 'JWT bearer tokens; each operation lists its roles in x-roles.',
      consequences: 'Every call needs a token; tests mint tokens per role.',
    });
  }
  if (req.techHints.includes('real-time')) {
    decisions.push({
      id: `ADR-00${decisions.length + 1}`,
      title: 'Push real-time updates',
      context: 'Real-time behaviour was asked for',
      decision: 'Server-Sent Events or WebSocket from the HTTP API process.',
      consequences: 'Connections are long-lived; scaling out needs a shared pub/sub.',
    });
  }

  const diagrams: Record<string, string> = {
    context: contextDiagram(req, externals),
    container: containerDiagram(components, storage.choice),
    er: erDiagram(req),
    ...sequenceDiagrams(req, endpoints, storage.choice),
  };

  return {
    pattern,
    components,
    techStack,
    dataModel: req.entities.map((e) => ({
      entity: e.name,
      table: snakePlural(e.name),
      fields: storedFields(e),
      relations: e.relations,
    })),
    api: doc,
    endpoints,
    deployment,
    security,
    scalability,
    diagrams,
    decisions,
    trace,
    metrics: {
      mustHavesUntraced,
      openapiValid: 0,
      operations: endpoints.length,
      components: components.length,
      entities: req.entities.length,
      functionalRequirements: functionalIds.length,
    },
    openQuestions: questions,
  };
}

/** Architecture feedback: "use microservices", "use PostgreSQL" (使用微服务 / 使用PostgreSQL). */
export function parseDesignFeedback(feedback: string | undefined): {
  overrides: DesignOverrides;
  questions: string[];
} {
  const overrides: DesignOverrides = {};
  const questions: string[] = [];
  if (feedback === undefined) return { overrides, questions };
  for (const raw of feedback.normalize('NFKC').split(/\n+|(?<=[.;。])\s*/)) {
    const line = raw.trim().replace(/[.;。]$/, '');
    if (line.length === 0) continue;
    const l = line.toLowerCase();
    if (/\b(micro-?services?)\b|微服务/.test(l)) overrides.pattern = 'microservices';
    else if (/\bserverless\b|无服务器/.test(l)) overrides.pattern = 'serverless';
    else if (/\b(modular )?monolith\b|单体/.test(l)) overrides.pattern = 'modular_monolith';
    else {
      const db = /\b(postgres(?:ql)?|mysql|mongo(?:db)?|sqlite)\b/i.exec(line);
      if (db !== null) {
        const name = db[1]!.toLowerCase();
        overrides.storage = name.startsWith('postgres')
          ? 'PostgreSQL'
          : name === 'mysql'
            ? 'MySQL'
            : name.startsWith('mongo')
              ? 'MongoDB'
              : 'SQLite';
      } else
        questions.push(
          `[feedback_unapplied] "${line}": the offline architecture engine understands "use <pattern>" and "use <database>"`,
        );
    }
  }
  return { overrides, questions };
}
