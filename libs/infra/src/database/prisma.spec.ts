import { describe, expect, it } from 'vitest';
import { preparedStatementName } from './prisma.js';

describe('preparedStatementName', () => {
  it('gives one SQL text one name, and different texts different names', () => {
    const a = preparedStatementName({ sql: 'SELECT 1 WHERE $1::int = 1', args: [1] });
    expect(a).toMatch(/^prisma_[A-Za-z0-9_-]{32}$/);
    expect(preparedStatementName({ sql: 'SELECT 1 WHERE $1::int = 1', args: [2] })).toBe(a);
    expect(preparedStatementName({ sql: 'SELECT 2 WHERE $1::int = 1', args: [1] })).not.toBe(a);
  });

  it('leaves statements with long parameter lists unnamed (their texts vary with list lengths)', () => {
    const args = Array.from({ length: 65 }, (_, i) => i);
    expect(preparedStatementName({ sql: `SELECT ${args.map((i) => `$${i + 1}`).join(', ')}`, args })).toBe('');
  });

  it('stops naming new texts past its bound, and keeps the names it gave', () => {
    const first = preparedStatementName({ sql: 'SELECT $1::text AS kept', args: ['x'] });
    for (let i = 0; i < 600; i += 1) preparedStatementName({ sql: `SELECT ${i} AS n`, args: [] });
    expect(preparedStatementName({ sql: 'SELECT $1::text AS late', args: ['x'] })).toBe('');
    expect(preparedStatementName({ sql: 'SELECT $1::text AS kept', args: ['x'] })).toBe(first);
  });
});
