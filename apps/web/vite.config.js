// The dashboard's build: React through Vite, hashed assets under /assets, and a gzip and a brotli
// copy of every text asset beside it, which the API serves to browsers that accept them (so it
// compresses nothing per request). `npm run dev -w @ao/web` proxies the API's paths to PORT 3000.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const API_PATHS = ['/api', '/mu', '/su', '/cu', '/docs', '/health', '/info', '/metrics', '/admin'];
const COMPRESSIBLE = /\.(js|css|html|svg|json|webmanifest|txt|map)$/;

/** Writes `<file>.gz` and `<file>.br` for each compressible file of the output over 1 KB. */
function precompress() {
  let outDir = 'dist';
  return {
    name: 'ao-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    async closeBundle() {
      const entries = await readdir(outDir, { recursive: true, withFileTypes: true });
      const files = entries.filter((e) => e.isFile() && COMPRESSIBLE.test(e.name)).map((e) => join(e.parentPath, e.name));
      await Promise.all(
        files.map(async (file) => {
          const bytes = await readFile(file);
          if (bytes.length < 1024) return;
          const [gz, br] = await Promise.all([
            promisify(gzip)(bytes, { level: 9 }),
            promisify(brotliCompress)(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }),
          ]);
          await Promise.all([writeFile(`${file}.gz`, gz), writeFile(`${file}.br`, br)]);
        }),
      );
    },
  };
}

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(API_PATHS.map((p) => [p, { target: 'http://127.0.0.1:3000' }])),
  },
});
