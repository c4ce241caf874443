// `node --import tsx test/e2e/package.ts`: production build + VSIX, printing the VSIX's path. scripts/e2e.sh
// runs it once and hands the path to every test file (LORABIAS_E2E_VSIX), so each does not package again.
import { packageExtension } from './lib/vsix';

delete process.env.LORABIAS_E2E_VSIX;
console.log(packageExtension());
