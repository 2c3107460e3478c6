/**
 * Keys PowerAutomation puts in MCP `_meta` objects. Shared by the engines (servers) and the
 * coordinator (client), so a third-party engine can honour them too.
 */

/** Request `_meta` key carrying `runId:stepKey:attempt`; unchanged when a call is retried elsewhere. */
export const IDEMPOTENCY_META_KEY = 'powerauto/idempotencyKey';

/** Tool-result `_meta` key carrying the engine's error code when `isError` is true. */
export const ERROR_CODE_META_KEY = 'powerauto/errorCode';
