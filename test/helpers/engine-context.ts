import type { EngineToolContext } from '../../src/engines/brain.js';

export interface RecordedContext extends EngineToolContext {
  messages: string[];
}

/** An engine tool context as the MCP server builds one, recording progress messages. */
export function engineContext(
  idempotencyKey?: string,
  signal = new AbortController().signal,
): RecordedContext {
  const messages: string[] = [];
  return {
    idempotencyKey,
    signal,
    messages,
    async progress(_progress, _total, message) {
      if (message !== undefined) messages.push(message);
    },
  };
}
