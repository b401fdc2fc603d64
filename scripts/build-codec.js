// Compiles the media codec (AssemblyScript, libs/agents/codec/assembly) to
// libs/agents/dist/media-codec.wasm. Part of `npm run build`; asc is a pure-JS compiler, so this
// works offline. The output is byte-for-byte the same for the same sources and asc version: the
// module's id on Arweave depends on it.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'libs/agents/codec/assembly/index.ts');
const out = join(root, 'libs/agents/dist/media-codec.wasm');
mkdirSync(dirname(out), { recursive: true });
const { error, stderr } = await asc.main([
  entry,
  '--outFile', out,
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--runtime', 'stub',
  '--noAssert',
  '--initialMemory', '1',
  '--disable', 'simd,threads,reference-types,tail-calls,gc,exception-handling',
]);
if (error) {
  process.stderr.write(stderr.toString());
  process.stderr.write(`media codec: ${error.message}\n`);
  process.exit(1);
}
