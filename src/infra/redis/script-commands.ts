import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

type Arg = string | number | Buffer;

/** A script: its method name, how many of its arguments are keys (null: given as the first), its Lua. */
export type ScriptDefinition = readonly [name: string, numberOfKeys: number | null, lua: string];

/**
 * Lua scripts as methods of the client: EVALSHA, and EVAL (which also loads it) when this Redis does not
 * know the script, as after a restart or SCRIPT FLUSH. They take the client's ordinary command path: key
 * prefix, cluster slot, timeouts and, on a client that has it on, auto-pipelining.
 *
 * Not ioredis's `defineCommand`: with auto-pipelining the client makes a Pipeline for each batch of
 * commands, and every Pipeline copies each defined script onto itself (two properties per script and its
 * SHA). With the service's scripts that was about 8 % of the instructions a lock with Redis holds costs
 * the service (callgrind, per lock).
 */
export function defineScripts(redis: Redis | Cluster, scripts: readonly ScriptDefinition[]): void {
  const methods = redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>;
  const evalsha = redis.evalsha.bind(redis) as (sha: string, ...args: Arg[]) => Promise<unknown>;
  const evalLua = redis.eval.bind(redis) as (lua: string, ...args: Arg[]) => Promise<unknown>;
  for (const [name, numberOfKeys, lua] of scripts) {
    const sha = createHash('sha1').update(lua).digest('hex');
    methods[name] = (...args) => {
      if (numberOfKeys !== null) args.unshift(numberOfKeys);
      return evalsha(sha, ...args).catch((e: unknown) => {
        if (!(e instanceof Error && e.message.startsWith('NOSCRIPT'))) throw e;
        return evalLua(lua, ...args);
      });
    };
  }
}
