import { describeBlueprint, type Blueprint, type BlueprintInfo } from './blueprint.js';
import { tokenBlueprint } from './blueprints/token.js';
import { mediaVerifierBlueprint } from './media-verifier/media-verifier.js';
import { marketMakerBlueprint } from './market/market-maker.js';
import { orderBookBlueprint } from './market/order-book.js';
import { priceOracleBlueprint } from './market/price-oracle.js';

/** Every blueprint the platform can spawn, by catalogue name. Add a blueprint here to list it. */
export const blueprints: readonly Blueprint[] = [
  tokenBlueprint as unknown as Blueprint,
  mediaVerifierBlueprint as unknown as Blueprint,
  orderBookBlueprint as unknown as Blueprint,
  priceOracleBlueprint as unknown as Blueprint,
  marketMakerBlueprint as unknown as Blueprint,
];

/** The blueprint named `name`, or undefined. */
export function findBlueprint(name: string): Blueprint | undefined {
  return blueprints.find((b) => b.name === name);
}

/** The catalogue as clients see it (JSON-serializable). */
export function catalogue(): BlueprintInfo[] {
  return blueprints.map(describeBlueprint);
}
