import type { Component, Endpoint } from '../../contracts/architecture.js';
import type { RequirementsSpec } from '../../contracts/requirements.js';
import { storedFields } from '../shared/openapi.js';

/** Mermaid sources. Labels are quoted; identifiers are ASCII so Chinese labels render safely. */

function q(s: string): string {
  return `"${s.replaceAll('"', "'")}"`;
}

export function contextDiagram(spec: RequirementsSpec, externals: string[]): string {
  const lines = ['flowchart LR'];
  const actors = spec.actors.length > 0 ? spec.actors : ['user'];
  for (const [i, a] of actors.entries())
    lines.push(`  A${i}[${q(a)}] --> S((${q(spec.projectName || 'System')}))`);
  for (const [i, x] of externals.entries()) lines.push(`  S --> X${i}[${q(x)}]`);
  return lines.join('\n');
}

export function containerDiagram(components: Component[], storage: string): string {
  const lines = ['flowchart TB', `  C[${q('Client')}] --> API[${q('HTTP API (TypeScript / Node.js 20)')}]`];
  components.forEach((c, i) => {
    if (c.name === 'HTTP API' || c.name === 'Persistence') return;
    lines.push(`  API --> M${i}[${q(c.name)}]`);
    if (c.name.endsWith('module')) lines.push(`  M${i} --> DB[(${q(storage)})]`);
  });
  return lines.join('\n');
}

const ER_TYPES: Record<string, string> = {
  integer: 'int',
  number: 'float',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
};

export function erDiagram(spec: RequirementsSpec): string {
  const lines = ['erDiagram'];
  for (const e of spec.entities) {
    lines.push(`  ${e.name} {`, '    string id PK');
    for (const f of storedFields(e)) {
      lines.push(
        `    ${ER_TYPES[f.type] ?? 'string'} ${f.name}${f.unique ? ' UK' : ''}${f.type === 'id' ? ' FK' : ''}`,
      );
    }
    lines.push('  }');
  }
  const card: Record<string, string> = {
    one_to_many: '||--o{',
    many_to_one: '}o--||',
    many_to_many: '}o--o{',
    one_to_one: '||--||',
  };
  for (const e of spec.entities) {
    for (const r of e.relations) {
      if (!spec.entities.some((x) => x.name === r.target)) continue;
      lines.push(`  ${e.name} ${card[r.kind]} ${r.target} : ${q(r.verb ?? 'has')}`);
    }
  }
  return lines.join('\n');
}

/** One sequence per main flow: every create and every custom action. */
export function sequenceDiagrams(
  spec: RequirementsSpec,
  endpoints: Endpoint[],
  storage: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const main = endpoints.filter(
    (e) => e.action === 'create' || !['read', 'list', 'update', 'delete'].includes(e.action),
  );
  for (const ep of main.slice(0, 12)) {
    const req = spec.requirements.find((r) => ep.requirementIds.includes(r.id));
    const actor = req?.actor ?? 'user';
    const rule = spec.requirements.find(
      (r) => ep.requirementIds.includes(r.id) && r.kind === 'business_rule',
    );
    const lines = [
      'sequenceDiagram',
      `  actor U as ${actor.replaceAll(/[;:]/g, ' ')}`,
      '  participant API as HTTP API',
      `  participant M as ${ep.entity} module`,
      `  participant DB as ${storage}`,
      `  U->>API: ${ep.method.toUpperCase()} ${ep.path}`,
      '  API->>API: authenticate, validate body',
      `  API->>M: ${ep.operationId}`,
    ];
    if (ep.action === 'create') {
      lines.push(
        '  M->>DB: insert',
        '  DB-->>M: stored row',
        `  M-->>API: ${ep.entity}`,
        '  API-->>U: 201 Created',
      );
    } else {
      lines.push(`  M->>DB: load ${ep.entity} by id`);
      if (rule !== undefined) {
        lines.push(
          '  alt rule violated',
          '    M-->>API: refused',
          '    API-->>U: 409 Conflict',
          '  else allowed',
        );
        lines.push(
          `    M->>DB: record ${ep.action}`,
          `    M-->>API: ${ep.entity}`,
          '    API-->>U: 200 OK',
          '  end',
        );
      } else {
        lines.push(`  M->>DB: record ${ep.action}`, `  M-->>API: ${ep.entity}`, '  API-->>U: 200 OK');
      }
    }
    out[`sequence_${ep.operationId}`] = lines.join('\n');
  }
  return out;
}
