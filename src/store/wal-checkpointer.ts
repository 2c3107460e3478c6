import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker copies the WAL back into the database file. */
export const CHECKPOINT_INTERVAL_MS = 200;

// CommonJS source for an eval'd worker: a file beside this one would not exist when the store runs
// from src/ under a TypeScript loader, and the worker needs nothing but better-sqlite3.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next tick retries */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Runs the WAL checkpoints of one database on a worker thread with its own connection. SQLite's
 * automatic checkpoint runs inside the commit that crosses the threshold, so every few hundred steps
 * one step paid for copying the WAL and two fsyncs; the orchestrator's p99 step overhead was mostly
 * that. The caller turns automatic checkpoints off only once this has started.
 */
export class WalCheckpointer {
  private constructor(private readonly worker: Worker) {}

  static start(path: string, onError: (err: Error) => void): WalCheckpointer {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        intervalMs: CHECKPOINT_INTERVAL_MS,
      },
    });
    worker.on('error', onError);
    // Never the reason a process stays up; close() ends it properly.
    worker.unref();
    return new WalCheckpointer(worker);
  }

  /** A last checkpoint, then the worker's connection closes and the thread ends. */
  stop(): void {
    this.worker.postMessage('stop');
  }
}
