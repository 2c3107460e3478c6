import type { Brain } from '../brain.js';
import { createMonitoringBrain } from './engine.js';

/** The deterministic monitoring engine: health, Prometheus metrics, alerts, auto-rollback. */
export const offlineBrain: Brain = createMonitoringBrain();
