import { describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache.js';
import type { Principal } from './principal.js';

const principal: Principal = { userId: 'u', label: 'u@example.com', role: 'trader', aoAddress: 'a', via: 'api-key', credentialId: 'k' };

describe('credential cache', () => {
  it('keeps a credential for its TTL, only while the revocation epoch is the one seen before the lookup', () => {
    const cache = new CredentialCache(5000);
    cache.set('h', { principal }, cache.currentEpoch, Infinity, 0);
    expect(cache.get('h', 0)).toBeUndefined(); // no epoch seen yet: nothing is cached
    cache.observe('1');
    cache.set('h', { principal }, cache.currentEpoch, Infinity, 0);
    const entry = cache.get('h', 1000)!;
    expect(entry.principal).toBe(principal);
    expect(cache.valid(entry, '1')).toBe(true);
    expect(cache.valid(entry, '2')).toBe(false); // revoked meanwhile, in any process
    expect(cache.get('h', 5000)).toBeUndefined(); // past the TTL
  });

  it('drops everything when the epoch moves, and never outlives a session', () => {
    const cache = new CredentialCache(5000);
    cache.observe('1');
    cache.set('h', { principal }, '1', 2000, 0);
    expect(cache.get('h', 1999)).toBeDefined();
    expect(cache.get('h', 2000)).toBeUndefined();
    cache.set('h', { principal }, '1', Infinity, 0);
    cache.observe('2');
    expect(cache.get('h', 1)).toBeUndefined();
    // a lookup that began before the bump carries the old epoch: never valid afterwards
    cache.set('h', { principal }, '1', Infinity, 0);
    expect(cache.valid(cache.get('h', 1)!, '2')).toBe(false);
  });

  it('caches nothing with a TTL of 0', () => {
    const cache = new CredentialCache(0);
    cache.observe('1');
    cache.set('h', { principal }, '1');
    expect(cache.get('h')).toBeUndefined();
  });
});
