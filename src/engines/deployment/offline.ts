import type { Brain } from '../brain.js';
import { createDeploymentBrain } from './engine.js';

/** The deterministic deployment engine: releases, plugins (local-process by default), rollbacks. */
export const offlineBrain: Brain = createDeploymentBrain();
