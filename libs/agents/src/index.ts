export { tokenBlueprint, tokenBootCode, luaString, type TokenConfig } from './blueprints/token.js';
