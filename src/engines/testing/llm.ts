import type { Brain } from '../brain.js';
import { createLlmBrain, type EngineLlm } from '../llm-brain.js';
import { offlineBrain } from './offline.js';

/**
 * Test results are evidence, so `test_run` is never the model's: it runs the tests in the sandbox and
 * measures them, as offline. With a provider configured the output still says which brain produced it.
 * (The tests themselves come from the coding engine's LLM brain.)
 */
export function createTestingLlmBrain(engine: EngineLlm): Brain {
  return createLlmBrain(offlineBrain, {}, engine);
}
