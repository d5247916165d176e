/**
 * `npx tsx bench/profile-top.ts <file.cpuprofile | dir> … [--top N]`: the functions with the most self
 * time in V8 CPU profiles (node --cpu-prof), summed over all the files given, and the same by package.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { topSelfTime } from './lib/profile.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const inputs = args.filter((a, i) => a !== '--top' && !(topAt >= 0 && i === topAt + 1));
if (inputs.length === 0) {
  process.stderr.write('usage: npx tsx bench/profile-top.ts <file.cpuprofile | dir> … [--top N]\n');
  process.exit(2);
}
const files = inputs.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(p, f))
    : [p],
);
process.stdout.write(`${topSelfTime(files, top).text}\n`);
