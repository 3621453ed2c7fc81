// The page's second training thread: a Web Worker that the training worker (worker.ts) starts with
// startWebThreads and that serves one threaded trainer after another (the loop of Node's workers).
import { serveWebThread } from 'miniconv';

serveWebThread();
