/**
 * Two (or BENCH_WORKERS) service instances behind one port: a node:cluster primary that forks the
 * production build as workers, which then share the listening socket (the primary deals connections
 * round-robin). The workers start one after another so that their migrations do not race at start-up.
 */
import cluster from 'node:cluster';
import { resolve } from 'node:path';

const workers = Number(process.env.BENCH_WORKERS ?? 2);
const execArgv = JSON.parse(process.env.BENCH_WORKER_EXEC_ARGV ?? '[]') as string[];

cluster.setupPrimary({ exec: resolve('dist/main.js'), execArgv });

const forkOne = () =>
  new Promise<void>((ok, fail) => {
    const w = cluster.fork();
    w.once('listening', () => ok());
    w.once('exit', (code) => fail(new Error(`worker exited with ${code} before listening`)));
  });

let stopping = false;
let forked = 0;
let exited = 0;
cluster.on('fork', () => forked++);
cluster.on('exit', (w, code) => {
  if (!stopping) {
    process.stderr.write(`worker ${w.process.pid} exited with ${code} while serving\n`);
    process.exitCode = 1;
  }
  if (++exited === forked) process.exit();
});

const stop = () => {
  stopping = true;
  for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

for (let i = 0; i < workers; i++) await forkOne();
process.send?.('ready');
