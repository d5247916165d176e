// The parts of `npm run build` that tsc does not do: the SQL migrations next to the compiled code, and
// the embedded database's template (see templatePath in src/infra/db/pglite.ts).
import { cpSync } from 'node:fs';

cpSync('src/infra/db/migrations', 'dist/infra/db/migrations', { recursive: true });
const { writeTemplate } = await import('../dist/infra/db/pglite.js');
await writeTemplate();
