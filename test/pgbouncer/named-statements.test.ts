import { describe, expect, it } from 'vitest';
import { namedStatement } from '../../src/infra/db/db.js';
import { openPostgresDb } from '../../src/infra/db/postgres.js';
import { pgbouncerStore, testStores } from '../helpers/stores.js';

// The hot path's statements are named, so that each connection parses and plans them once. A pooler in
// transaction mode (PgBouncer 1.18 here) deals calls to any server connection, where the name is unknown
// or already taken: then the statements must run unnamed, and no call may fail on the way.
const postgres = (await testStores()).find((s) => s.name === 'postgres');
const pooled = await pgbouncerStore({ direct: false });

const PLUS_ONE = namedStatement('plus_one', 'SELECT $1::int + 1 AS n');

/** Many calls of the named statement at once over `connections` client connections; their answers. */
async function burst(url: string, connections: number, calls: number) {
  const db = await openPostgresDb({ connectionString: url, max: connections });
  try {
    const answers = await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        db.query<{ n: number }>(PLUS_ONE, [i]).then((r) => r.rows[0]?.n),
      ),
    );
    return answers;
  } finally {
    await db.close();
  }
}

const expected = (calls: number) => Array.from({ length: calls }, (_, i) => i + 1);

describe.skipIf(!postgres)('named statements on PostgreSQL', () => {
  it('are prepared once per connection and kept there', async () => {
    const made = await postgres!.create();
    const db = await openPostgresDb({ connectionString: made.env.DATABASE_URL!, max: 1 });
    try {
      expect((await db.query<{ n: number }>(PLUS_ONE, [1])).rows).toEqual([{ n: 2 }]);
      expect((await db.query<{ n: number }>(PLUS_ONE, [41])).rows).toEqual([{ n: 42 }]);
      const kept = await db.query<{ name: string; statement: string }>(
        'SELECT name, statement FROM pg_prepared_statements',
      );
      expect(kept.rows).toEqual([{ name: PLUS_ONE.name, statement: PLUS_ONE.text }]);
      // The name carries the text's digest: another text under the same name gets another name.
      expect(namedStatement('plus_one', 'SELECT $1::int + 2 AS n').name).not.toBe(PLUS_ONE.name);
    } finally {
      await db.close();
      await made.drop();
    }
  });

  it('answer every call of a burst', async () => {
    const made = await postgres!.create();
    try {
      expect(await burst(made.env.DATABASE_URL!, 8, 400)).toEqual(expected(400));
    } finally {
      await made.drop();
    }
  });
});

describe.skipIf(!pooled)('named statements through PgBouncer in transaction mode', () => {
  it('fall back to unnamed ones when the pooler refuses them: every call of a burst answers', async () => {
    const made = await pooled!.create();
    try {
      for (let round = 0; round < 3; round++)
        expect(await burst(made.env.DATABASE_URL!, 8, 400)).toEqual(expected(400));
    } finally {
      await made.drop();
    }
  });
});
