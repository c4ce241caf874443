// The extension manifest: settings that choose what runs or what is deleted ignore workspace values until the
// workspace is trusted. VS Code reads `capabilities.untrustedWorkspaces.restrictedConfigurations` (used only when
// `supported` is `limited`) and a setting's own `restricted` flag.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
const settings: Record<string, Record<string, unknown>> = manifest.contributes.configuration.properties;
/** The interpreter that is executed, the folder whose contents are deleted, the switch that lets pickles load. */
const SENSITIVE = ['lorabias.pythonPath', 'lorabias.cacheFolder'];

describe('package.json', () => {
  it('restricts the settings a workspace could use to run code or delete files', () => {
    const untrusted = manifest.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited', 'restrictedConfigurations only count for limited support');
    for (const key of SENSITIVE) {
      assert.ok(settings[key], `${key} is a contributed setting`);
      assert.ok(untrusted.restrictedConfigurations?.includes(key), `${key} is in restrictedConfigurations`);
      assert.equal(settings[key].restricted, true, `${key} is marked restricted`);
    }
  });

  it('lists only settings it contributes as restricted', () => {
    for (const key of manifest.capabilities.untrustedWorkspaces.restrictedConfigurations) assert.ok(settings[key], `${key} exists`);
  });
});
