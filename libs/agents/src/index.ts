export * from './blueprint.js';
export * from './catalogue.js';
export * from './platform/index.js';
export * from './lib/config-spec.js';
export * from './lib/lua-libs.js';
export { tokenBlueprint, tokenBootCode, tokenSource, type TokenConfig } from './blueprints/token.js';
export { MEDIA_CODEC_MODULE, MEDIA_CODEC_VERSION, mediaCodecModule, mediaCodecTags, mediaCodecWasm } from './media-verifier/codec.js';
export { mediaVerifierBlueprint, mediaVerifierBootCode, mediaVerifierProcessTags, mediaVerifierSource, type MediaVerifierConfig } from './media-verifier/media-verifier.js';
// Test and bench helpers (their encoders are development dependencies, loaded on first use).
export { encodeJpeg, encodePng, encodeProgressiveJpeg, flatImage, grayImage, halve, photoSet, rawPng, syntheticPhoto, type Rgba } from './media-verifier/fixtures.js';
