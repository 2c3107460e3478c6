import type { RequirementsSpec } from '../../contracts/requirements.js';
import { writeConfinedFile } from '../../workspace/files.js';

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function renderRequirementsMarkdown(spec: RequirementsSpec): string {
  const out: string[] = [];
  out.push(`# ${spec.projectName || 'Requirements'}`, '', spec.summary, '');
  out.push(
    `Language: ${spec.language}. Sentence coverage: ${Math.round((spec.metrics.sentenceCoverage ?? 0) * 100)}%.`,
    '',
  );
  out.push(
    '## Actors',
    '',
    ...(spec.actors.length > 0 ? spec.actors.map((a) => `- ${a}`) : ['_none named_']),
    '',
  );
  out.push('## Entities', '');
  for (const e of spec.entities) {
    out.push(`### ${e.name} (${e.label})`, '');
    if (e.fields.length > 0) {
      out.push(
        '| field | words | type | required | unique | values |',
        '| --- | --- | --- | --- | --- | --- |',
      );
      for (const f of e.fields) {
        out.push(
          `| ${f.name} | ${cell(f.label)} | ${f.type} | ${f.required ? 'yes' : 'no'} | ${f.unique ? 'yes' : 'no'} | ${cell((f.enumValues ?? []).join(', '))} |`,
        );
      }
      out.push('');
    }
    for (const r of e.relations) out.push(`- ${r.kind} ${r.target}${r.verb ? ` (${r.verb})` : ''}`);
    if (e.relations.length > 0) out.push('');
  }
  out.push('## Requirements', '');
  for (const r of spec.requirements) {
    out.push(`### ${r.id} (${r.kind}, ${r.priority})`, '', r.text, '', `> ${r.source}`, '');
    for (const c of r.acceptanceCriteria)
      out.push(`- **${c.id}** Given ${c.given}, when ${c.when}, then ${c.then}.`);
    out.push('');
  }
  if (spec.userStories.length > 0) {
    out.push(
      '## User stories',
      '',
      ...spec.userStories.map((s) => `- ${s.id} (${s.requirementId}): ${s.text}`),
      '',
    );
  }
  out.push('## Non-functional targets', '');
  if (spec.nonFunctional.length === 0) out.push('_no measurable target given_');
  for (const n of spec.nonFunctional)
    out.push(`- ${n.requirementId ?? ''} ${n.category}: ${n.metric} ${n.op} ${n.value} ${n.unit}`);
  out.push(
    '',
    '## Feasibility',
    '',
    `Complexity ${spec.feasibility.complexity}/10; feasible: ${spec.feasibility.feasible ? 'yes' : 'no'}.`,
    '',
  );
  for (const r of spec.feasibility.risks) out.push(`- Risk: ${r.risk}. Mitigation: ${r.mitigation}.`);
  if (spec.techHints.length > 0) out.push('', `Technology hints: ${spec.techHints.join(', ')}.`);
  out.push('', '## Open questions', '');
  if (spec.openQuestions.length === 0) out.push('_none_');
  for (const q of spec.openQuestions) out.push(`- ${q}`);
  out.push('');
  return out.join('\n');
}

export async function writeRequirementsDocs(workspace: string, spec: RequirementsSpec): Promise<void> {
  await writeConfinedFile(workspace, 'docs/requirements.md', renderRequirementsMarkdown(spec));
}
