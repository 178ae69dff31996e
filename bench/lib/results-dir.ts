import { join } from 'node:path';

/** Where the bench writes its results, charts, app logs and CPU profiles. */
export const RESULTS_DIR = join(__dirname, '..', 'results');
