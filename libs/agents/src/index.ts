export * from './blueprint.js';
export * from './catalogue.js';
export { tokenBlueprint, tokenBootCode, tokenSource, type TokenConfig } from './blueprints/token.js';
