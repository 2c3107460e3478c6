import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker copies the WAL back into the database file. */
export const CHECKPOINT_INTERVAL_MS = 200;
/** The longest `stop` waits for the worker's connection to close (it is mid-checkpoint at worst). */
const STOP_WAIT_MS = 2_000;

// CommonJS source for an eval'd worker: a file beside this one would not exist when the store runs
// from src/ under a TypeScript loader, and the worker needs nothing but better-sqlite3.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const closed = new Int32Array(workerData.closed);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick retries */ }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
});
`;

/**
 * Runs the WAL checkpoints of one database on a worker thread with its own connection. SQLite's
 * automatic checkpoint runs inside the commit that crosses the threshold, so every few hundred steps
 * one step paid for copying the WAL and two fsyncs; the orchestrator's p99 step overhead was mostly
 * that. The caller turns automatic checkpoints off only once this has started. See decision 0005.
 */
export class WalCheckpointer {
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly closed: Int32Array,
  ) {
    worker.once('exit', () => {
      this.exited = true;
    });
  }

  static start(path: string, onError: (err: Error) => void): WalCheckpointer {
    const closed = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        intervalMs: CHECKPOINT_INTERVAL_MS,
        closed: closed.buffer,
      },
    });
    worker.on('error', onError);
    // Never the reason a process stays up; stop() ends it properly.
    worker.unref();
    return new WalCheckpointer(worker, closed);
  }

  /**
   * Closes the worker's connection and waits (bounded, blocking) until it has: the caller's own
   * connection then closes last, checkpoints and removes the WAL itself, so no file in the database's
   * folder changes after the store has closed.
   */
  stop(): void {
    if (this.exited) return;
    this.worker.postMessage('stop');
    Atomics.wait(this.closed, 0, 0, STOP_WAIT_MS);
  }
}
