import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const Int = (def: number, minimum: number, maximum = 2 ** 31 - 1) =>
  Type.Integer({ default: def, minimum, maximum });

const Schema = Type.Object({
  PORT: Int(3000, 0, 65535),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  // A direct connection for what needs a session of its own (LISTEN, the migrations), when DATABASE_URL
  // is a pooler in transaction mode (PgBouncer), which hands each transaction a different connection.
  DATABASE_DIRECT_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  // host:port of some nodes of a Redis Cluster (the client learns the rest), instead of REDIS_URL.
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ pattern: '^[^,:\\s]+:\\d{1,5}(,[^,:\\s]+:\\d{1,5})*$' })),
  // Prepended to every Redis key, so several deployments (or test runs) can share one Redis. No braces:
  // the keys' own hash tags must stay the ones Redis Cluster hashes on.
  ALERT_WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'seats:', pattern: '^[^{}]*$', maxLength: 64 }),
  LOCK_TTL_SECONDS: Int(600, 1, 86_400),
  SESSION_TTL_SECONDS: Int(1800, 1, 30 * 86_400),
  CLEANUP_INTERVAL_SECONDS: Int(30, 1, 86_400),
  MAX_SEATS_PER_SESSION: Int(10, 1, 100),
  // The longest one hold may be kept by refreshing it: without a cap a client could keep seats off sale.
  MAX_HOLD_SECONDS: Int(1800, 1, 7 * 86_400),
  ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  SEED_DEMO: Type.Boolean({ default: true }),
  RATE_LIMIT_PER_MINUTE: Int(600, 0),
  // New sessions one client address may start per minute (0: no cap). A waiting room gives each
  // session one place, so sessions by the hundred from one address would be a bot buying places.
  SESSIONS_PER_MINUTE_PER_IP: Int(0, 0),
  // How many proxies in front of the service to trust for the client's address (X-Forwarded-For);
  // 0: none, the peer's address is the client's. Behind a load balancer, without it, every client
  // shares the balancer's address and its limits.
  TRUST_PROXY: Int(0, 0, 10),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    {
      default: 'info',
    },
  ),
  DB_POOL_SIZE: Int(20, 1, 1000),
});

export type Config = Readonly<Static<typeof Schema>>;

/** Every variable the service reads (docs/api.md lists them all; a test checks). */
export const CONFIG_VARIABLES = Object.keys(Schema.properties);

export class ConfigError extends Error {}

const INTEGERS = new Set(
  Object.entries(Schema.properties)
    .filter(([, s]) => (s as { type?: unknown }).type === 'integer')
    .map(([k]) => k),
);
const BOOLEANS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

/** Parses the environment once. An invalid value stops the start with a message naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(Schema.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    if (key === 'SEED_DEMO') {
      if (!(value.toLowerCase() in BOOLEANS))
        throw new ConfigError(`SEED_DEMO must be true or false, got "${value}"`);
      raw[key] = BOOLEANS[value.toLowerCase()];
    } else if (INTEGERS.has(key)) {
      if (!/^-?\d+$/.test(value.trim()))
        throw new ConfigError(`${key} must be a whole number, got "${value}"`);
      raw[key] = Number(value);
    } else {
      raw[key] = value;
    }
  }
  const withDefaults = Value.Default(Schema, raw);
  const [first] = Value.Errors(Schema, withDefaults);
  if (first) {
    const name = first.instancePath.replace(/^\//, '') || 'configuration';
    const shown =
      name in raw && !name.includes('TOKEN') && !name.endsWith('_URL') ? ` (got "${String(raw[name])}")` : '';
    throw new ConfigError(`${name} is invalid: ${first.message}${shown}`);
  }
  const config = withDefaults as Static<typeof Schema>;
  if (config.DATABASE_DIRECT_URL && !config.DATABASE_URL)
    throw new ConfigError(
      'DATABASE_DIRECT_URL is set without DATABASE_URL: it only complements a pooled DATABASE_URL',
    );
  if (config.REDIS_URL && config.REDIS_CLUSTER_NODES)
    throw new ConfigError('REDIS_URL and REDIS_CLUSTER_NODES are both set: set one of them');
  return Object.freeze(config);
}
