import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { serverFacts } from './pg.js';
import { findPgbench } from './pgbench.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  /** The PostgreSQL server's settings that shape a write-heavy run (buffers, WAL, autovacuum). */
  postgresSettings: string;
  pgbench: string | null;
  loadAverageAtStart: number[];
  date: string;
}

export async function machineFacts(): Promise<Machine> {
  const bin = findPgbench();
  let pgbench: string | null = null;
  if (bin) {
    try {
      pgbench = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      pgbench = null;
    }
  }
  const server = await serverFacts();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: server.version,
    postgresSettings: server.settings,
    pgbench,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString(),
  };
}
