import { readFileSync } from 'node:fs';
import { WASM_LIBRARY_FORMAT, type ModuleDef, type Tag } from '@ao/core';

/** The key of the codec's library item in the platform's published modules (/info `modules`). */
export const MEDIA_CODEC_MODULE = 'media-codec';

/** Version of the codec's ABI and output (the `Codec-Version` tag); its id changes with every build that changes its bytes. */
export const MEDIA_CODEC_VERSION = '1';

// Both src/media-verifier and dist/media-verifier are two levels below libs/agents; `npm run build` writes the binary.
const WASM = new URL('../../dist/media-codec.wasm', import.meta.url);

let cached: Uint8Array | undefined;

/** The media codec (libs/agents/codec, AssemblyScript compiled by `npm run build`): the data of its library item. */
export function mediaCodecWasm(): Uint8Array {
  if (!cached) {
    try {
      cached = new Uint8Array(readFileSync(WASM));
    } catch {
      throw new Error(`the media codec is not built (${WASM.pathname}): run npm run build`);
    }
  }
  return cached.slice();
}

/** The tags of the media codec's library item (besides the ones the signer adds). */
export function mediaCodecTags(): Tag[] {
  return [
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Variant', value: 'ao.TN.1' },
    { name: 'Type', value: 'Module' },
    { name: 'Module-Format', value: WASM_LIBRARY_FORMAT },
    { name: 'Content-Type', value: 'application/wasm' },
    { name: 'Name', value: 'media-codec' },
    { name: 'Codec-Version', value: MEDIA_CODEC_VERSION },
  ];
}

/** The codec as a module definition (for tests and tools that run without a gateway). */
export function mediaCodecModule(id: string, owner: string): ModuleDef {
  return { id, owner, tags: mediaCodecTags(), format: WASM_LIBRARY_FORMAT, source: mediaCodecWasm() };
}
