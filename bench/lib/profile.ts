import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the busy (not idle) time. */
  share: number;
}

export interface ProfileSummary {
  files: string[];
  busyMs: number;
  idleMs: number;
  functions: ProfileEntry[];
  /** Self time grouped by where the code lives: a package, node's internals, the service, the engine. */
  places: ProfileEntry[];
  text: string;
}

/** `file:///…/node_modules/pg/lib/client.js` → `pg/lib/client.js`; the service's own files from dist/. */
function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const dist = u.indexOf('/dist/');
  return dist >= 0 ? u.slice(dist + 1) : u;
}

function place(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native/V8)';
  if (url.startsWith('node:')) return 'node internals';
  const s = shortUrl(url);
  if (s.startsWith('dist/')) return `service: ${s.split('/').slice(1, -1).join('/') || 'dist'}`;
  const parts = s.split('/');
  return (parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]) ?? s;
}

/** Sums self time by function (and by place) over every .cpuprofile given. */
export function topSelfTime(files: readonly string[], top = 25): ProfileSummary {
  const byFn = new Map<string, ProfileEntry>();
  const byPlace = new Map<string, ProfileEntry>();
  let idleMs = 0;
  let busyMs = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    p.samples.forEach((id, i) => {
      // Each sample owns the interval up to the next one.
      const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
      const f = nodes.get(id);
      if (!f) return;
      const name = f.functionName || '(anonymous)';
      if (name === '(idle)') return void (idleMs += ms);
      busyMs += ms;
      const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
      const key = `${name} ${where}`;
      const e = byFn.get(key) ?? { name, where, selfMs: 0, share: 0 };
      e.selfMs += ms;
      byFn.set(key, e);
      const pl = place(f.url, name);
      const g = byPlace.get(pl) ?? { name: pl, where: '', selfMs: 0, share: 0 };
      g.selfMs += ms;
      byPlace.set(pl, g);
    });
  }
  const rank = (m: Map<string, ProfileEntry>, n: number) =>
    [...m.values()]
      .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), share: busyMs > 0 ? e.selfMs / busyMs : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, n);
  const functions = rank(byFn, top);
  const places = rank(byPlace, 15);
  const line = (e: ProfileEntry) =>
    `  ${(e.share * 100).toFixed(1).padStart(5)} %  ${String(e.selfMs).padStart(7)} ms  ${e.name}${e.where ? `  ${e.where}` : ''}`;
  const text = [
    `  busy ${Math.round(busyMs)} ms, idle ${Math.round(idleMs)} ms, ${files.length} profile(s); shares are of busy time`,
    '  by function (self time):',
    ...functions.map(line),
    '  by place:',
    ...places.map(line),
  ].join('\n');
  return {
    files: [...files],
    busyMs: Math.round(busyMs),
    idleMs: Math.round(idleMs),
    functions,
    places,
    text,
  };
}

export function summarizeProfiles(dir: string): ProfileSummary {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  return topSelfTime(files);
}
