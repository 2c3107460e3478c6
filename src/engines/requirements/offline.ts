import { RequirementsAnalyzeInput } from '../../contracts/engines.js';
import type { Brain } from '../brain.js';
import { analyzeRequirements } from './analyze.js';
import { writeRequirementsDocs } from './documents.js';

/** Deterministic requirements analysis (no LLM): see docs/engines/requirements.md. */
export const offlineBrain: Brain = {
  requirements_analyze: async (raw) => {
    const input = RequirementsAnalyzeInput.parse(raw);
    const spec = analyzeRequirements(input);
    if (input.workspace !== undefined) await writeRequirementsDocs(input.workspace, spec);
    return spec;
  },
};
