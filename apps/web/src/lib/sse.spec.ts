import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('splits events across chunks, keeps ids, skips comments, joins data lines', () => {
    const p = new SseParser();
    expect(p.push('retry: 2000\n: connected\n\nid: 7\nevent: con')).toEqual([]);
    expect(p.push('fig\ndata: {"a":1}\n\n: heartbeat\n\nid: 8\r\ndata: x\r\ndata: y\r\n\r\n')).toEqual([
      { id: '7', event: 'config', data: '{"a":1}' },
      { id: '8', event: 'message', data: 'x\ny' },
    ]);
    expect(p.retry).toBe(2000);
  });
});
