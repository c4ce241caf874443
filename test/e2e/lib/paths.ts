// Where the end-to-end harness finds code-server and puts its runs and artifacts.
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
/** code-server, Chromium profile scratch, run folders: installed/created by test/e2e/setup.sh. */
export const E2E_HOME = process.env.LORABIAS_E2E_HOME || path.join(os.homedir(), '.cache', 'lorabias-e2e');
export const CODE_SERVER_ENTRY = path.join(E2E_HOME, 'code-server/node_modules/code-server/out/node/entry.js');
/** Screenshots, logs and console output of each run: kept as test artifacts. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');
export const CHROMIUM = process.env.LORABIAS_E2E_CHROMIUM || '/usr/bin/chromium';
