import { TestRunInput } from '../../contracts/engines.js';
import type { Brain } from '../brain.js';
import { DEFAULT_TEST_RUN_OPTIONS, runTests, type TestRunOptions } from './run.js';

/** The testing engine: builds and runs the generated tests in the sandbox and measures coverage. */
export function createTestingBrain(options: TestRunOptions = DEFAULT_TEST_RUN_OPTIONS): Brain {
  return {
    test_run: async (input, ctx) => runTests(TestRunInput.parse(input), ctx, options),
  };
}

export const offlineBrain: Brain = createTestingBrain();
