import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { testStores } from '../helpers/stores.js';

// docs/api.md is what users read; /openapi.json is what the service says it does. Everything here is
// derived from both at test time, so a route, field, status, error code or setting added to one and not
// the other fails this test.

/**
 * Parts of contract v2 documented ahead of their implementation, which is being merged separately. One
 * the service already has is checked like everything else; the test names those that can leave this list.
 */
const AHEAD = {
  routes: [
    'POST /api/lock/best',
    'POST /api/reservations/{reservationID}/cancel',
    'POST /api/webhooks',
    'GET /api/webhooks',
    'DELETE /api/webhooks/{webhookID}',
    'GET /api/webhooks/{webhookID}/deliveries',
    'GET /api/events/{eventID}/history',
  ],
  codes: ['NO_SEATS_TOGETHER'],
  variables: [] as string[],
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const docText = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: string[];
  const?: string;
};
interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface OpenApi {
  info: { description: string };
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, Schema> };
}

/** The route sections of docs/api.md: `### METHOD /path` up to the next heading of level 2 or 3. */
function routeSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const heading = /^(#{2,3}) (.*)$/.exec(line);
    if (heading) {
      const route = /^(GET|PUT|POST|DELETE|PATCH) (\/\S*)$/.exec(heading[2]!);
      // `:eventID` in the text is `{eventID}` in OpenAPI.
      current = route ? `${route[1]} ${route[2]!.replace(/:(\w+)/g, '{$1}')}` : undefined;
      if (current) sections.set(current, '');
    } else if (current) {
      sections.set(current, `${sections.get(current)}${line}\n`);
    }
  }
  return sections;
}

/** The rows of the Markdown table under `## <title>`: first column's backticked names, then the cells. */
function tableRows(text: string, title: string): { names: string[]; cells: string[] }[] {
  const section = text.split(/^## /m).find((s) => s.startsWith(`${title}\n`)) ?? '';
  return section
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => {
      const cells = l.split('|').map((c) => c.trim());
      return { names: [...cells[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!), cells: cells.slice(2) };
    });
}

const mentions = (text: string, word: string) =>
  new RegExp(`(^|[^\\w-])${word.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}([^\\w-]|$)`, 'i').test(text);

describe('docs/api.md and /openapi.json', () => {
  let t: TestApp;
  let api: OpenApi;
  let sections: Map<string, string>;
  const operations: { route: string; op: Operation }[] = [];

  beforeAll(async () => {
    t = await startApp((await testStores())[0]!);
    api = JSON.parse((await t.app.inject('/openapi.json')).body) as OpenApi;
    sections = routeSections(docText);
    for (const [path, item] of Object.entries(api.paths))
      for (const method of METHODS) {
        const op = item[method];
        if (op) operations.push({ route: `${method.toUpperCase()} ${path}`, op });
      }
  });
  afterAll(() => t?.close());

  const resolve = (schema: Schema): Schema =>
    schema.$ref ? resolve(api.components.schemas[schema.$ref.split('/').pop()!]!) : schema;

  /** Every property name in a schema, at any depth (through arrays, unions and intersections). */
  const fieldNames = (schema: Schema | undefined): string[] => {
    if (!schema) return [];
    const s = resolve(schema);
    const nested = [s.items, ...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])];
    return [
      ...Object.keys(s.properties ?? {}),
      ...Object.values(s.properties ?? {}).flatMap(fieldNames),
      ...nested.flatMap(fieldNames),
    ];
  };

  it('documents every operation of the OpenAPI document, under its own heading', () => {
    expect(operations.length).toBeGreaterThan(10);
    const missing = operations.map((o) => o.route).filter((r) => !sections.has(r));
    expect(missing, 'routes served but missing from docs/api.md').toEqual([]);
  });

  it('documents no route the service does not serve (but contract v2 parts being merged)', () => {
    const served = new Set(operations.map((o) => o.route));
    const unknown = [...sections.keys()].filter((r) => !served.has(r) && !AHEAD.routes.includes(r));
    expect(unknown, 'routes in docs/api.md that /openapi.json does not have').toEqual([]);
    const undocumented = AHEAD.routes.filter((r) => !sections.has(r));
    expect(undocumented, 'AHEAD lists routes docs/api.md does not describe').toEqual([]);
    const landed = AHEAD.routes.filter((r) => served.has(r));
    if (landed.length > 0) console.info(`Served now, can leave AHEAD.routes: ${landed.join(', ')}`);
  });

  it("mentions every status, parameter and field of each operation in that route's section", () => {
    const gaps: string[] = [];
    for (const { route, op } of operations) {
      const text = sections.get(route) ?? '';
      const success = Object.entries(op.responses).filter(([status]) => /^2/.test(status));
      const words = [
        ...Object.keys(op.responses),
        ...(op.parameters ?? []).map((p) => p.name),
        ...Object.values(op.requestBody?.content ?? {}).flatMap((c) => fieldNames(c.schema)),
        ...success.flatMap(([, r]) => Object.values(r.content ?? {}).flatMap((c) => fieldNames(c.schema))),
      ];
      for (const word of new Set(words)) if (!mentions(text, word)) gaps.push(`${route}: ${word}`);
    }
    expect(gaps, 'missing from the route sections of docs/api.md').toEqual([]);
  });

  it('lists every error code with the status the service answers it with', () => {
    const error = resolve(api.components.schemas.Error!).properties!.error!;
    const codes = error.enum ?? [];
    expect(codes).toContain('SEATS_UNAVAILABLE');
    // The OpenAPI description carries the catalogue as a table: | CODE | status | message |.
    const served = new Map(
      [...api.info.description.matchAll(/^\| ([A-Z_]+) \| (\d{3}) \|/gm)].map((m) => [m[1]!, m[2]!]),
    );
    const documented = new Map(tableRows(docText, 'Errors').map((r) => [r.names[0]!, r.cells[0]!]));
    for (const code of codes)
      expect(documented.get(code), `status of ${code} in docs/api.md`).toBe(served.get(code));
    const extra = [...documented.keys()].filter((c) => !codes.includes(c) && !AHEAD.codes.includes(c));
    expect(extra, 'codes in docs/api.md the service does not have').toEqual([]);
  });

  it('lists every configuration variable the service reads, and no other', () => {
    const documented = tableRows(docText, 'Configuration').flatMap((r) => r.names);
    expect(CONFIG_VARIABLES.filter((v) => !documented.includes(v))).toEqual([]);
    const extra = documented.filter((v) => !CONFIG_VARIABLES.includes(v) && !AHEAD.variables.includes(v));
    expect(extra, 'variables in docs/api.md the service does not read').toEqual([]);
  });
});
