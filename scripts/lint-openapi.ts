// `npm run lint:openapi`: builds the app in-process (on an in-memory embedded database), takes the
// OpenAPI document it serves at /openapi.json, and lints it with Redocly's recommended rules
// (redocly.yaml) and Spectral's spectral:oas (.spectral.yaml). Errors fail; warnings are listed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { createMetrics } from '../src/http/metrics.js';
import { createContainer } from '../src/wiring.js';

const config = loadConfig({ DATA_DIR: 'memory://', SEED_DEMO: 'false', LOG_LEVEL: 'silent' });
const container = await createContainer(config);
const app = await buildApp(container.services, {
  adminToken: 'openapi-lint-not-a-secret',
  rateLimitPerMinute: 0,
  metrics: createMetrics(),
  logger: false,
});
const document = (await app.inject('/openapi.json')).body;
await app.close();
await container.close();

const dir = mkdtempSync(join(tmpdir(), 'seats-openapi-'));
const file = join(dir, 'openapi.json');
writeFileSync(file, JSON.stringify(JSON.parse(document), null, 2));
const linters: [string, string[]][] = [
  ['redocly', ['lint', file, '--format=stylish']],
  ['spectral', ['lint', file, '--fail-severity=error']],
];
let failed = false;
for (const [tool, args] of linters) {
  const run = spawnSync(join('node_modules', '.bin', tool), args, { encoding: 'utf8' });
  const findings = `${run.stdout}${run.stderr}`
    .split('\n')
    .filter((line) => /\b(error|warning)\b/.test(line) && !/Deprecation|Node\.js/.test(line));
  process.stdout.write(`${tool}: ${run.status === 0 ? 'no errors' : 'FAILED'}\n`);
  for (const line of findings) process.stdout.write(`  ${line.trim()}\n`);
  if (run.status !== 0) {
    failed = true;
    process.stdout.write(`${run.stdout}${run.stderr}\n`);
  }
}
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
