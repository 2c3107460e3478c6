import type { MessagePort, Worker } from 'node:worker_threads';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

/** Either end of a worker thread: the parent's `Worker` or the worker's `parentPort`. */
export type ThreadPort = Pick<MessagePort | Worker, 'postMessage' | 'on' | 'off'>;

/**
 * MCP over a worker thread's message channel. Messages are JSON-RPC objects, checked on arrival
 * as the stdio transport checks its lines, so a thread is held to the same wire contract.
 */
export class PortTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #closed = false;

  constructor(
    private readonly port: ThreadPort,
    /** Releases the channel (terminates the worker, or closes the worker's side). */
    private readonly release: () => unknown,
  ) {}

  async start(): Promise<void> {
    this.port.on('message', this.#receive);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error('the worker transport is closed');
    this.port.postMessage(message);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.release();
    this.ended();
  }

  /** The other side went away (the worker exited): report it once, as a closed stream would. */
  ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.port.off('message', this.#receive);
    this.onclose?.();
  }

  readonly #receive = (data: unknown): void => {
    const parsed = JSONRPCMessageSchema.safeParse(data);
    if (parsed.success) this.onmessage?.(parsed.data);
    else this.onerror?.(new Error('the worker sent a message that is not JSON-RPC'));
  };
}
