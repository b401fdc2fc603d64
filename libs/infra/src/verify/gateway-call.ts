import { ZodError } from 'zod';
import { GatewayError, type ArweaveGateway } from '../arweave/gateway.js';

/**
 * Runs one gateway call for the verifier; anything but a GatewayError (unparsable JSON, an answer
 * of the wrong shape) becomes a GatewayError that says which call answered garbage.
 */
export async function gatewayCall<T>(gateway: ArweaveGateway, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    const detail = error instanceof ZodError ? 'an answer of an unexpected shape' : `something unreadable (${(error as Error).message})`;
    throw new GatewayError(`gateway ${gateway.url} answered ${what} with ${detail}`);
  }
}
