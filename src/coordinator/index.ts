// The coordinator's public surface (no `export *`: the names are the API).
export { type BreakerState, CircuitBreaker } from './breaker.js';
export { contractProblems } from './contract-check.js';
export {
  type AuxiliaryCallContext,
  type BreakerChange,
  type CoordinatorOptions,
  MCPCoordinator,
  type ServerDescription,
} from './coordinator.js';
export {
  CallCancelledError,
  ContractMismatchError,
  EngineTimeoutError,
  EngineToolError,
  EngineUnavailableError,
  OutputInvalidError,
} from './errors.js';
export type { HealthState } from './instance.js';
export type { CallOutcome, EngineCallRecord } from './metrics.js';
export type { InprocServerFactory } from './transports.js';
