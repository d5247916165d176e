// `npm start`: runs the build made at install (or by `npm run build`), the service bundled in one file;
// it never builds itself, so that the service listens within a second or two.
import { existsSync, readdirSync, statSync } from 'node:fs';
import process from 'node:process';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const main = new URL('../dist/bundle/server.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'No build found (dist/bundle/server.js is missing): run `npm run build` first, then `npm start`.\n',
  );
  process.exit(1);
}

const newest = (dir) =>
  Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
const src = new URL('../src', import.meta.url);
if (existsSync(src) && newest(fileURLToPath(src)) > statSync(main).mtimeMs)
  process.stderr.write(
    'Note: src/ changed since the last build; run `npm run build` to serve the changes.\n',
  );

await import(main.href);
