import { hotKeys, parseConfig, type Blueprint, type ConfigIssue } from '../blueprint.js';
import type { AgentStatus } from './lifecycle.js';

/** A config patch the platform cannot send: why, per key. */
export class ConfigPatchError extends Error {
  constructor(readonly kind: 'invalid' | 'restart-required' | 'killed' | 'empty', readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '));
    this.name = 'ConfigPatchError';
  }
}

/**
 * Checks a config patch before it becomes a Configure message: the merged config must satisfy the
 * blueprint's schema, and while the agent runs only hot keys may change (the others need a pause,
 * with the reason per key, as the agent itself would answer). Returns the merged, validated config
 * and the keys whose value changes.
 */
export function planConfigPatch(blueprint: Blueprint, current: Record<string, unknown>, patch: Record<string, unknown>, status: AgentStatus) {
  const keys = Object.keys(patch).sort();
  if (keys.length === 0) throw new ConfigPatchError('empty', [{ path: '', message: 'the patch names no key' }]);
  if (status === 'killed') throw new ConfigPatchError('killed', [{ path: '', message: 'a killed agent cannot be configured' }]);
  let merged: Record<string, unknown>;
  try {
    merged = parseConfig(blueprint, { ...current, ...patch }) as Record<string, unknown>;
  } catch (error) {
    const issues = (error as { issues?: ConfigIssue[] }).issues;
    if (issues) throw new ConfigPatchError('invalid', issues);
    throw error;
  }
  const hot = new Set(hotKeys(blueprint));
  if (status === 'running') {
    const cold = keys.filter((k) => !hot.has(k));
    if (cold.length) throw new ConfigPatchError('restart-required', cold.map((k) => ({ path: k, message: `restart-required: pause the agent to change ${k}` })));
  }
  const changed = keys.filter((k) => JSON.stringify(merged[k]) !== JSON.stringify(current[k]));
  return { config: merged, changed };
}
