import { describe, expect, it } from 'vitest';
import { errorResult, parseEvalResult } from './eval-result.js';

describe('parseEvalResult', () => {
  it('reads a JSON-1 result', () => {
    const text = JSON.stringify({
      Output: { data: 'hi' },
      Messages: [{ Target: 't', Data: 'd', Anchor: 'a', Tags: [{ name: 'n', value: 'v' }] }],
      Spawns: [{ Data: 'x', Tags: [] }],
      Assignments: [{ Processes: ['p'], Message: 'm' }],
    });
    expect(parseEvalResult(text, 12)).toEqual({
      Output: { data: 'hi' },
      Messages: [{ Target: 't', Data: 'd', Anchor: 'a', Tags: [{ name: 'n', value: 'v' }] }],
      Spawns: [{ Data: 'x', Tags: [] }],
      Assignments: [{ Processes: ['p'], Message: 'm' }],
      GasUsed: 12,
    });
  });

  it('defaults missing lists and Output', () => {
    expect(parseEvalResult('{}', 1)).toEqual({ Output: '', Messages: [], Spawns: [], Assignments: [], GasUsed: 1 });
  });

  it('keeps an Error with the Output and no outbox', () => {
    const r = parseEvalResult(JSON.stringify({ Output: 'o', Error: 'bad', Messages: [{ Target: 't', Tags: [] }] }), 3);
    expect(r).toEqual(errorResult('bad', 3, 'o'));
  });

  it('turns malformed output into an error result', () => {
    expect(parseEvalResult('not json', 0).Error).toMatch(/not JSON/);
    expect(parseEvalResult('[]', 0).Error).toMatch(/not an object/);
    expect(parseEvalResult(JSON.stringify({ Messages: [{ Tags: [] }] }), 0).Error).toMatch(/malformed/);
    expect(parseEvalResult(JSON.stringify({ Messages: [{ Target: 't', Tags: [{ name: 1, value: 'v' }] }] }), 0).Error).toMatch(/malformed/);
    expect(parseEvalResult(JSON.stringify({ Assignments: [{ Processes: [1], Message: 'm' }] }), 0).Error).toMatch(/malformed/);
  });
});
