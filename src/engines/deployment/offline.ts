import type { Brain } from '../brain.js';

/** The offline deployment engine comes in a later issue; until then every tool answers "not implemented". */
export const offlineBrain: Brain = {};
