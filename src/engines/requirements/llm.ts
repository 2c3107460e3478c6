import { RequirementsAnalyzeInput } from '../../contracts/engines.js';
import { RequirementsSpec } from '../../contracts/requirements.js';
import type { Brain } from '../brain.js';
import { createLlmBrain, type EngineLlm } from '../llm-brain.js';
import { finalize } from './build.js';
import { writeRequirementsDocs } from './documents.js';
import { offlineBrain } from './offline.js';
import { checkText, prepare } from './text.js';

/** What the model writes; everything derived (summary, feasibility, stories, metrics) is computed here. */
export const RequirementsAnswer = RequirementsSpec.pick({
  projectName: true,
  language: true,
  actors: true,
  entities: true,
  requirements: true,
  nonFunctional: true,
  techHints: true,
  openQuestions: true,
});

const squash = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Measures the model's spec with the offline engine's own rules: a sentence is mapped when a requirement
 * quotes it as its `source`; `finalize` then derives criteria, stories, feasibility and every metric.
 */
export function measureRequirements(
  text: string,
  answer: typeof RequirementsAnswer._output,
): RequirementsSpec {
  const sentences = prepare(text)
    .chunks.map((c) => squash(c.text))
    .filter((s) => s.length > 0);
  const sources = answer.requirements.map((r) => squash(r.source)).filter((s) => s.length > 0);
  const mapped = sentences.filter((s) => sources.some((src) => src.includes(s) || s.includes(src))).length;
  const highest = Math.max(0, ...answer.requirements.map((r) => Number(r.id.slice(4))));
  const spec: RequirementsSpec = {
    ...answer,
    summary: '',
    userStories: [],
    feasibility: { complexity: 1, risks: [], feasible: false },
    metrics: { sentences: sentences.length, sentencesMapped: mapped, lastRequirementNumber: highest },
  };
  return finalize(spec, new Map());
}

export function createRequirementsLlmBrain(engine: EngineLlm): Brain {
  return createLlmBrain(
    offlineBrain,
    {
      requirements_analyze: {
        replace: async (raw, ctx, llm) => {
          const input = RequirementsAnalyzeInput.parse(raw);
          checkText(input.text);
          await ctx.progress(0, 2, `analysing with ${llm.provider}/${llm.model}`);
          const request = {
            text: input.text,
            ...(input.feedback ? { feedback: input.feedback } : {}),
            ...(input.previous ? { previous: RequirementsAnswer.parse(input.previous) } : {}),
          };
          const answer = await llm.structured(RequirementsAnswer, {
            system: await llm.prompt('requirements_analyze'),
            messages: [{ role: 'user', content: JSON.stringify(request) }],
            schemaName: 'requirements_spec',
          });
          const spec = measureRequirements([input.text, input.feedback ?? ''].join('\n'), answer);
          if (input.workspace !== undefined) await writeRequirementsDocs(input.workspace, spec);
          await ctx.progress(2, 2, 'measured');
          return spec;
        },
      },
    },
    engine,
  );
}
