import type { RequirementsSpec } from '../../contracts/requirements.js';
import { applyFacts, emptySpec, finalize } from './build.js';
import { benefitsOf, extract, projectNameOf } from './extract.js';
import { applyFeedback } from './feedback.js';
import { checkText } from './text.js';

export interface AnalyzeInput {
  text: string;
  feedback?: string | undefined;
  previous?: RequirementsSpec | undefined;
}

/** The whole offline analysis: validated text in, a finished RequirementsSpec out. */
export function analyzeRequirements(input: AnalyzeInput): RequirementsSpec {
  let spec: RequirementsSpec;
  let benefits = new Map<string, string>();
  if (input.previous !== undefined && input.feedback !== undefined) {
    spec = structuredClone(input.previous);
  } else {
    checkText(input.text);
    const ex = extract(input.text);
    spec = emptySpec(ex.language);
    spec.projectName = projectNameOf(input.text, ex.language);
    for (const q of ex.questions) spec.openQuestions.push(q);
    applyFacts(spec, ex.facts);
    benefits = benefitsOf(ex.facts);
  }
  if (input.feedback !== undefined && input.feedback.trim().length > 0) {
    checkText(input.feedback, 'feedback');
    const fb = applyFeedback(spec, input.feedback);
    for (const [k, v] of fb.benefits) benefits.set(k, v);
  }
  return finalize(spec, benefits);
}
