import { ArchitectureDesignInput, ArchitectureTestPlanInput } from '../../contracts/engines.js';
import type { Brain } from '../brain.js';
import { designArchitecture, parseDesignFeedback } from './design.js';
import { writeArchitectureDocs, writeTestPlanDoc } from './documents.js';
import { deriveTestPlan } from './testplan.js';
import { validateOpenApi } from './validate.js';

/** Deterministic architecture design and test planning (no LLM): see docs/engines/architecture.md. */
export const offlineBrain: Brain = {
  architecture_design: async (raw) => {
    const input = ArchitectureDesignInput.parse(raw);
    const { overrides, questions } = parseDesignFeedback(input.feedback);
    const design = designArchitecture(input.requirements, overrides, questions);
    const check = await validateOpenApi(design.api);
    design.metrics.openapiValid = check.valid ? 1 : 0;
    for (const e of check.errors) design.openQuestions.push(`[openapi_invalid] ${e}`);
    if (input.workspace !== undefined) await writeArchitectureDocs(input.workspace, design);
    return design;
  },
  architecture_test_plan: async (raw) => {
    const input = ArchitectureTestPlanInput.parse(raw);
    const plan = deriveTestPlan(input.requirements);
    if (input.workspace !== undefined) await writeTestPlanDoc(input.workspace, plan);
    return plan;
  },
};
