import type { Brain } from '../brain.js';

/** Placeholder until the offline architecture engine lands; every tool answers "not implemented". */
export const offlineBrain: Brain = {};
