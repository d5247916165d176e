import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { uniqueItemsPlugin } from '../../src/http/unique-items.js';

const SCHEMAS = {
  any: { type: 'array', uniqueItems: true },
  strings: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  scalars: { type: 'array', items: { type: ['string', 'number', 'boolean', 'null'] }, uniqueItems: true },
  objects: { type: 'array', items: { type: 'object' }, uniqueItems: true },
};

/** Each body's answer from a route per schema, validated with or without the plugin. */
async function answers(withPlugin: boolean, bodies: unknown[]): Promise<string[]> {
  const app = Fastify({ ajv: withPlugin ? { plugins: [uniqueItemsPlugin] } : {} });
  for (const [name, schema] of Object.entries(SCHEMAS))
    app.post(`/${name}`, { schema: { body: schema } }, async () => 'ok');
  const out: string[] = [];
  for (const name of Object.keys(SCHEMAS))
    for (const body of bodies) {
      const res = await app.inject({ method: 'POST', url: `/${name}`, payload: body as object });
      out.push(
        `${name} ${JSON.stringify(body)}: ${res.statusCode} ${res.statusCode === 200 ? '' : res.json().message}`,
      );
    }
  await app.close();
  return out;
}

describe('uniqueItems checked with a Map', () => {
  it("answers every body as Ajv's own check does, for typed and untyped items, messages included", async () => {
    const bodies = [
      [],
      ['a'],
      ['a', 'b', 'c'],
      ['a', 'b', 'a'],
      ['a', 'b', 'a', 'b'],
      ['a', 'b', 'b', 'a'],
      ['x', 'x', 'x'],
      [1, '1', true, 'true', null, 'null'],
      [1, 1.0, 'z'],
      [0, -0],
      [null, null],
      [
        { a: 1, b: 2 },
        { b: 2, a: 1 },
      ],
      [{ a: 1 }, { a: '1' }],
      [
        [1, 2],
        [2, 1],
      ],
      [[1, { k: [null] }], 'z', [1, { k: [null] }]],
      ['{"a":1}', { a: 1 }],
    ];
    const ours = await answers(true, bodies);
    expect(ours).toEqual(await answers(false, bodies));
    // The comparison covers refusals for duplicates, their indexes included, on every kind of schema.
    for (const name of Object.keys(SCHEMAS))
      expect(ours.some((a) => a.startsWith(`${name} `) && a.includes('duplicate items'))).toBe(true);
    expect(ours).toContain(
      'strings ["a","b","b","a"]: 400 body must NOT have duplicate items (items ## 2 and 1 are identical)',
    );
    expect(ours).toContain(
      'any ["a","b","b","a"]: 400 body must NOT have duplicate items (items ## 0 and 3 are identical)',
    );
  });
});
