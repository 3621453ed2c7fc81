// A training worker thread of ParallelTrainer (parallel.ts), started by worker-entry.mjs: the
// loop of worker-loop.ts on the setup the main thread gave as workerData.

import { workerData } from 'node:worker_threads';
import { serveTrainingThread } from './worker-loop.ts';
import type { WorkerSetup } from './worker-step.ts';

serveTrainingThread(workerData as WorkerSetup);
