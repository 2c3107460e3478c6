import type { Brain } from '../brain.js';

/** Placeholder until the offline requirements engine lands; every tool answers "not implemented". */
export const offlineBrain: Brain = {};
