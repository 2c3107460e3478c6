import { CodeAnalyzeInput, CodeFixInput, CodeGenerateInput } from '../../contracts/engines.js';
import type { Brain } from '../brain.js';
import { analyzeCode } from './analyze.js';
import { fixCode, generateCode } from './generate.js';

/** The deterministic coding engine: template generation from the specs, regeneration as repair, real analysis. */
export const offlineBrain: Brain = {
  code_generate: async (input, ctx) => generateCode(CodeGenerateInput.parse(input), ctx),
  code_fix: async (input, ctx) => fixCode(CodeFixInput.parse(input), ctx),
  code_analyze: async (input, ctx) => analyzeCode(CodeAnalyzeInput.parse(input), ctx),
};
