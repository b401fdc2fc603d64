/**
 * Sets `key` in a map used as a bounded memory (oldest first, by insertion): a new key past `max`
 * pushes the oldest one out; an existing key is updated in place.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
