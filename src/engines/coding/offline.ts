import type { Brain } from '../brain.js';

/** The offline coding engine comes in a later issue; until then every tool answers "not implemented". */
export const offlineBrain: Brain = {};
