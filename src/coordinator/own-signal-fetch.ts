/**
 * A fetch for the Streamable HTTP client transport that gives every request a signal of its own.
 *
 * The SDK's transport hands one connection-wide signal to every fetch, and Node's fetch adds an abort
 * listener to it per request that only garbage collection removes. A busy HTTP engine connection
 * piles up thousands of listeners: each new one walks the list, and Node prints a
 * MaxListenersExceededWarning per call past 1,500. Here the connection signal holds one listener,
 * which aborts the requests of that connection still open.
 *
 * Which requests are still open is left to the garbage collector rather than tracked: a request's
 * controller lives as long as its response body can still be read (an SSE stream may stay open for
 * the connection's life). Knowing when a body ends would mean wrapping it in a new stream and a new
 * Response, ~18 µs a call on Node 20, 4% of a whole HTTP tool call.
 */
export function ownSignalFetch(base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const connection = init?.signal;
    if (connection === undefined || connection === null) return base(input, init);
    connection.throwIfAborted();
    const own = new AbortController();
    requestsOf(connection).add(own);
    const response = await base(input, { ...init, signal: own.signal });
    if (response.body !== null) controllerOfBody.set(response.body, own);
    return response;
  };
}

/** Keeps a request's controller alive while its response body is. */
const controllerOfBody = new WeakMap<ReadableStream<Uint8Array>, AbortController>();

/** The requests of one connection that may still be open, held weakly. */
class ConnectionRequests {
  private readonly refs = new Set<WeakRef<AbortController>>();
  /** Dead references are swept when the set reaches this size, which then doubles the live count. */
  private sweepAt = SWEEP_MIN;

  constructor(connection: AbortSignal) {
    connection.addEventListener(
      'abort',
      () => {
        for (const ref of this.refs) ref.deref()?.abort(connection.reason);
        this.refs.clear();
      },
      { once: true },
    );
  }

  add(controller: AbortController): void {
    this.refs.add(new WeakRef(controller));
    if (this.refs.size < this.sweepAt) return;
    for (const ref of this.refs) if (ref.deref() === undefined) this.refs.delete(ref);
    this.sweepAt = Math.max(SWEEP_MIN, this.refs.size * 2);
  }

  /** References held, live or not yet swept. */
  get size(): number {
    return this.refs.size;
  }
}

const SWEEP_MIN = 64;
const requestsByConnection = new WeakMap<AbortSignal, ConnectionRequests>();

function requestsOf(connection: AbortSignal): ConnectionRequests {
  let requests = requestsByConnection.get(connection);
  if (requests === undefined) {
    requests = new ConnectionRequests(connection);
    requestsByConnection.set(connection, requests);
  }
  return requests;
}

/** How many request references a connection signal holds (for tests: it must stay bounded). */
export function heldRequests(connection: AbortSignal): number {
  return requestsByConnection.get(connection)?.size ?? 0;
}
