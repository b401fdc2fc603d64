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
export { orderBookBlueprint, orderBookBootCode, orderBookSource, type OrderBookConfig } from './market/order-book.js';
export { SimNet, tagMap, type Delivered } from './market/sim-net.js';
export { priceOracleBlueprint, priceOracleBootCode, priceOracleSource, type PriceOracleConfig } from './market/price-oracle.js';
export { marketMakerBlueprint, marketMakerBootCode, marketMakerSource, type MarketMakerConfig } from './market/market-maker.js';
export { backtestConfig, parseSeries, runBacktest, type BacktestClient, type BacktestReport, type PricePoint } from './market/backtest.js';
