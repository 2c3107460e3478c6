/**
 * Entry of a built-in engine in a worker thread (`transport: { type: 'worker' }`): the engine's
 * CPU-bound work (text analysis, design, code generation) runs off the API's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { Role } from '../contracts/models.js';
import { loadEngineServer } from './embedded.js';
import { PortTransport } from './port-transport.js';

const WorkerData = z.object({ role: Role });

if (parentPort === null) throw new Error('src/engines/worker.ts runs only as a worker thread');
const port = parentPort;
const { role } = WorkerData.parse(workerData);
const server = await loadEngineServer(role);
await server.connect(new PortTransport(port, () => port.close()));
