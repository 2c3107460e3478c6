import { ArchitectureSpec, TestPlan } from '../../contracts/architecture.js';
import { ArchitectureDesignInput, ArchitectureTestPlanInput } from '../../contracts/engines.js';
import type { RequirementsSpec } from '../../contracts/requirements.js';
import type { Brain } from '../brain.js';
import { createLlmBrain, type EngineLlm } from '../llm-brain.js';
import { writeArchitectureDocs, writeTestPlanDoc } from './documents.js';
import { offlineBrain } from './offline.js';
import { validateOpenApi } from './validate.js';

export const ArchitectureAnswer = ArchitectureSpec.omit({ metrics: true, producedBy: true });
export const TestPlanAnswer = TestPlan.omit({ metrics: true, producedBy: true });

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** operationIds present in the OpenAPI document itself (not what the model listed elsewhere). */
function documentOperations(doc: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  const paths = doc.paths;
  if (typeof paths !== 'object' || paths === null) return ids;
  for (const item of Object.values(paths as Record<string, unknown>)) {
    if (typeof item !== 'object' || item === null) continue;
    for (const [method, op] of Object.entries(item as Record<string, unknown>)) {
      const id = (op as { operationId?: unknown } | null)?.operationId;
      if (METHODS.includes(method) && typeof id === 'string') ids.add(id);
    }
  }
  return ids;
}

/**
 * The architecture gate's facts, measured on what the model wrote: the OpenAPI document checked by the
 * same validator as the offline engine; a must-have is traced only through components that exist and
 * operations that are in the document.
 */
export async function measureArchitecture(
  req: RequirementsSpec,
  answer: typeof ArchitectureAnswer._output,
): Promise<ArchitectureSpec> {
  const check = await validateOpenApi(answer.api);
  const ops = documentOperations(answer.api);
  const components = new Set(answer.components.map((c) => c.name));
  const traced = (id: string) =>
    answer.trace.some(
      (t) =>
        t.requirementId === id &&
        t.components.some((c) => components.has(c)) &&
        t.operations.some((o) => ops.has(o)),
    );
  const functional = req.requirements.filter((r) => r.kind === 'functional');
  return {
    ...answer,
    openQuestions: [...answer.openQuestions, ...check.errors.map((e) => `[openapi_invalid] ${e}`)],
    metrics: {
      mustHavesUntraced: functional.filter((r) => r.priority === 'must' && !traced(r.id)).length,
      openapiValid: check.valid ? 1 : 0,
      operations: ops.size,
      components: components.size,
      entities: req.entities.length,
      functionalRequirements: functional.length,
    },
  };
}

/** Test plan metrics, measured against the requirements (the offline planner's definitions). */
export function measureTestPlan(req: RequirementsSpec, answer: typeof TestPlanAnswer._output): TestPlan {
  const known = new Set(req.requirements.map((r) => r.id));
  const covered = new Set(answer.cases.flatMap((c) => c.requirementIds).filter((id) => known.has(id)));
  const relevant = req.requirements.filter((r) => r.priority !== 'wont');
  return {
    ...answer,
    metrics: {
      cases: answer.cases.length,
      requirementsWithoutCases: relevant.filter((r) => !covered.has(r.id)).length,
      smokeCases: answer.cases.filter((c) => c.kind === 'smoke').length,
    },
  };
}

export function createArchitectureLlmBrain(engine: EngineLlm): Brain {
  return createLlmBrain(
    offlineBrain,
    {
      architecture_design: {
        replace: async (raw, ctx, llm) => {
          const input = ArchitectureDesignInput.parse(raw);
          await ctx.progress(0, 2, `designing with ${llm.provider}/${llm.model}`);
          const { metrics: _m, producedBy: _p, ...requirements } = input.requirements;
          const answer = await llm.structured(ArchitectureAnswer, {
            system: await llm.prompt('architecture_design'),
            messages: [
              {
                role: 'user',
                content: JSON.stringify({
                  requirements,
                  ...(input.feedback ? { feedback: input.feedback } : {}),
                  ...(input.previous ? { previous: ArchitectureAnswer.parse(input.previous) } : {}),
                }),
              },
            ],
            schemaName: 'architecture_spec',
          });
          const design = await measureArchitecture(input.requirements, answer);
          if (input.workspace !== undefined) await writeArchitectureDocs(input.workspace, design);
          await ctx.progress(2, 2, 'validated');
          return design;
        },
      },
      architecture_test_plan: {
        replace: async (raw, _ctx, llm) => {
          const input = ArchitectureTestPlanInput.parse(raw);
          const { metrics: _m, producedBy: _p, ...requirements } = input.requirements;
          const answer = await llm.structured(TestPlanAnswer, {
            system: await llm.prompt('architecture_test_plan'),
            messages: [{ role: 'user', content: JSON.stringify({ requirements }) }],
            schemaName: 'test_plan',
          });
          const plan = measureTestPlan(input.requirements, answer);
          if (input.workspace !== undefined) await writeTestPlanDoc(input.workspace, plan);
          return plan;
        },
      },
    },
    engine,
  );
}
