import { stringify } from 'yaml';
import type { ArchitectureSpec, TestPlan } from '../../contracts/architecture.js';
import { writeConfinedFile } from '../../workspace/files.js';

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'decision'
  );
}

export function renderArchitectureMarkdown(a: ArchitectureSpec): string {
  const out: string[] = ['# Architecture', '', `## Pattern: ${a.pattern.name}`, '', a.pattern.rationale, ''];
  out.push('## Components', '', '| component | responsibility | requirements |', '| --- | --- | --- |');
  for (const c of a.components)
    out.push(`| ${c.name} | ${c.responsibility.replaceAll('|', '/')} | ${c.requirementIds.join(', ')} |`);
  out.push('', '## Tech stack', '');
  for (const t of a.techStack) out.push(`- **${t.layer}**: ${t.choice} (${t.reason})`);
  out.push('', '## API', '', '| operation | method | path | requirements |', '| --- | --- | --- | --- |');
  for (const e of a.endpoints)
    out.push(
      `| ${e.operationId} | ${e.method.toUpperCase()} | \`${e.path}\` | ${e.requirementIds.join(', ')} |`,
    );
  out.push('', 'The full contract is in `openapi.yaml`.', '', '## Data model', '');
  for (const d of a.dataModel)
    out.push(
      `- **${d.entity}** (\`${d.table}\`): ${d.fields.map((f) => `${f.name}: ${f.type}`).join(', ') || 'id only'}`,
    );
  out.push(
    '',
    '## Deployment',
    '',
    '```json',
    JSON.stringify(a.deployment, null, 2),
    '```',
    '',
    '## Security',
    '',
    '```json',
    JSON.stringify(a.security, null, 2),
    '```',
    '',
  );
  out.push(
    '## Scalability and performance',
    '',
    ...a.scalability.map((s) => `- ${s}`),
    '',
    '## Diagrams',
    '',
  );
  for (const [name, src] of Object.entries(a.diagrams))
    out.push(`### ${name}`, '', '```mermaid', src, '```', '');
  out.push('## Traceability', '', '| requirement | components | operations |', '| --- | --- | --- |');
  for (const t of a.trace)
    out.push(`| ${t.requirementId} | ${t.components.join(', ')} | ${t.operations.join(', ')} |`);
  out.push(
    '',
    '## Decisions',
    '',
    ...a.decisions.map((d) => `- [${d.id}](adr/${d.id.slice(4)}-${slug(d.title)}.md) ${d.title}`),
    '',
  );
  if (a.openQuestions.length > 0)
    out.push('## Open questions', '', ...a.openQuestions.map((q) => `- ${q}`), '');
  return out.join('\n');
}

export function renderTestPlanMarkdown(p: TestPlan): string {
  const out = ['# Test plan', '', `${p.metrics.cases ?? p.cases.length} cases.`, ''];
  out.push(
    '| id | kind | requirements | operation | given | when | then |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  const c = (s: string) => s.replaceAll('|', '/');
  for (const t of p.cases) {
    out.push(
      `| ${t.id} | ${t.kind} | ${t.requirementIds.join(', ')} | ${t.operationId ?? ''} | ${c(t.given)} | ${c(t.when)} | ${c(t.then)} |`,
    );
  }
  out.push('');
  return out.join('\n');
}

export async function writeArchitectureDocs(workspace: string, a: ArchitectureSpec): Promise<void> {
  await writeConfinedFile(workspace, 'docs/architecture.md', renderArchitectureMarkdown(a));
  await writeConfinedFile(workspace, 'openapi.yaml', stringify(a.api));
  for (const d of a.decisions) {
    const body = `# ${d.id}: ${d.title}\n\n## Context\n\n${d.context}\n\n## Decision\n\n${d.decision}\n\n## Consequences\n\n${d.consequences}\n`;
    await writeConfinedFile(workspace, `docs/adr/${d.id.slice(4)}-${slug(d.title)}.md`, body);
  }
}

export async function writeTestPlanDoc(workspace: string, p: TestPlan): Promise<void> {
  await writeConfinedFile(workspace, 'docs/test-plan.md', renderTestPlanMarkdown(p));
}
