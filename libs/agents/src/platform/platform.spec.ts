import { describe, expect, it } from 'vitest';
import { findBlueprint } from '../catalogue.js';
import { ConfigPatchError, planConfigPatch } from './config-plan.js';
import { allowedActions, IllegalTransitionError, transition, type AgentStatus, type LifecycleAction } from './lifecycle.js';
import { topicEvents } from './topic-events.js';

describe('agent lifecycle', () => {
  it('allows exactly draft → running ⇄ paused → killed', () => {
    const table: Record<AgentStatus, Partial<Record<LifecycleAction, AgentStatus>>> = {
      draft: { start: 'running', kill: 'killed' },
      running: { pause: 'paused', kill: 'killed' },
      paused: { resume: 'running', kill: 'killed' },
      killed: {},
    };
    for (const [status, allowed] of Object.entries(table) as [AgentStatus, Partial<Record<LifecycleAction, AgentStatus>>][]) {
      for (const action of ['start', 'pause', 'resume', 'kill'] as LifecycleAction[]) {
        if (allowed[action]) expect(transition(status, action).to).toBe(allowed[action]);
        else expect(() => transition(status, action)).toThrow(IllegalTransitionError);
      }
      expect(allowedActions(status)).toEqual(Object.keys(allowed));
    }
    expect(transition('paused', 'resume').message).toBe('Start');
    expect(transition('running', 'pause').message).toBe('Stop');
  });
});

describe('config patches', () => {
  const verifier = findBlueprint('media-verifier')!;
  const current = planConfigPatch(verifier, {}, { maxPixels: 1000 }, 'draft').config;

  it('merges and validates against the blueprint, listing the keys that change', () => {
    const plan = planConfigPatch(verifier, current, { nearDuplicateMaxDistance: 4, maxPixels: 1000 }, 'running');
    expect(plan.changed).toEqual(['nearDuplicateMaxDistance']);
    expect(plan.config).toMatchObject({ nearDuplicateMaxDistance: 4, maxPixels: 1000 });
  });

  it('names the field and rule of an invalid value, and unknown keys', () => {
    const error = (() => {
      try {
        planConfigPatch(verifier, current, { nearDuplicateMaxDistance: 99, bogus: 1 }, 'draft');
      } catch (e) {
        return e as ConfigPatchError;
      }
    })();
    expect(error?.kind).toBe('invalid');
    expect(error?.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['nearDuplicateMaxDistance']));
    expect(JSON.stringify(error?.issues)).toMatch(/bogus/);
  });

  it('refuses restart-only keys while running, with the reason, and everything once killed', () => {
    const mm = findBlueprint('token')!;
    expect(() => planConfigPatch(mm, {}, { name: 'X' }, 'running')).toThrow(/restart-required: pause the agent to change name/);
    expect(planConfigPatch(mm, {}, { name: 'X' }, 'paused').changed).toEqual(['name']);
    expect(() => planConfigPatch(verifier, current, { maxPixels: 5 }, 'killed')).toThrow(ConfigPatchError);
  });
});

describe('topic events of a result', () => {
  it('takes each Event-Seq once whatever the number of subscribers, with its JSON payload', () => {
    const notify = (target: string, seq: number, topic = 'fills') => ({
      Target: target,
      Data: JSON.stringify({ seq }),
      Tags: [{ name: 'Action', value: 'Notify-On-Topic' }, { name: 'Topic', value: topic }, { name: 'Event-Seq', value: String(seq) }],
    });
    const result = { Messages: [notify('a', 1), notify('b', 1), { Target: 'x', Tags: [{ name: 'Action', value: 'Transfer' }] }, notify('a', 2, 'quotes')] };
    expect(topicEvents(result)).toEqual([
      { topic: 'fills', eventSeq: 1, payload: { seq: 1 } },
      { topic: 'quotes', eventSeq: 2, payload: { seq: 2 } },
    ]);
    expect(topicEvents(null)).toEqual([]);
  });
});
