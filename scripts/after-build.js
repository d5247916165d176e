// The parts of `npm run build` that tsc does not do.
import { cpSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// The SQL migrations next to the compiled code, and next to the bundle: copied afresh, so that a file
// removed or renamed in src is not left behind to run as a migration.
for (const dir of ['dist/infra/db/migrations', 'dist/bundle/migrations'])
  rmSync(dir, { recursive: true, force: true });
cpSync('src/infra/db/migrations', 'dist/infra/db/migrations', { recursive: true });
cpSync('src/infra/db/migrations', 'dist/bundle/migrations', { recursive: true });

// What `npm start` runs: the service in one file. Loading it takes a fraction of the time of loading the
// hundreds of modules it is made of (typebox alone is 700 files). It sits two levels below the project, like
// the compiled modules that find the web UI and the migrations relative to themselves. Packages that load
// files of their own at run time stay outside.
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/bundle/server.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: ['@electric-sql/pglite', '@fastify/swagger-ui', 'pg-native'],
  // Bundled CommonJS packages call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
});

// A template of an empty embedded database (see templatePath in src/infra/db/pglite.ts).
const { writeTemplate } = await import('../dist/infra/db/pglite.js');
await writeTemplate();
