import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/**
 * PostgreSQL's tools (initdb, pg_ctl, pgbouncer) refuse to run as root: under root, the uid and gid of
 * the `postgres` user to run them as; otherwise undefined (run them as we are).
 */
export function postgresOwner(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres user to run the PostgreSQL tools as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
