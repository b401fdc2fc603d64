// Regenerates libs/agents/blueprints.lock.json from the built catalogue (npm run blueprints:lock).
// A blueprint whose source changed while its version did not is refused: bump the version first
// (a running agent keeps the version it was spawned with, so one version must mean one source).
import { readFileSync, writeFileSync } from 'node:fs';
import { blueprints, sourceSha256 } from '@ao/agents';

const path = new URL('../libs/agents/blueprints.lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const next = {};
let refused = false;
for (const b of [...blueprints].sort((x, y) => x.name.localeCompare(y.name))) {
  const hash = sourceSha256(b.source);
  const old = lock[b.name];
  if (old && old.version === b.version && old.sourceSha256 !== hash) {
    console.error(`${b.name} ${b.version}: the source changed; bump its version`);
    refused = true;
  }
  if (!old || old.version !== b.version || old.sourceSha256 !== hash) console.log(`${b.name} ${b.version} ${hash}`);
  next[b.name] = { version: b.version, sourceSha256: hash };
}
if (refused) process.exit(1);
writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
