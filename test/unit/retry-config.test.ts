import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DomainError } from '../../src/domain/errors.js';
import { MAX_ATTEMPTS, withRetry } from '../../src/infra/db/db.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('retry of races', () => {
  it('retries serialization failures and deadlocks, then succeeds', async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      if (calls === 1) throw pgError('40001');
      if (calls === 2) throw pgError('40P01');
      return 'done';
    });
    expect([result, calls]).toEqual(['done', 3]);
  });

  it('gives up after a bounded number of attempts with a 503-class error', async () => {
    let calls = 0;
    const err = await withRetry(() => {
      calls++;
      return Promise.reject(pgError('40001'));
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('SERVICE_UNAVAILABLE');
    expect(calls).toBe(MAX_ATTEMPTS);
  });

  it('maps a lost connection to SERVICE_UNAVAILABLE and passes other errors through untouched', async () => {
    const lost = await withRetry(() => Promise.reject(pgError('ECONNREFUSED'))).catch((e: unknown) => e);
    expect((lost as DomainError).code).toBe('SERVICE_UNAVAILABLE');
    const other = pgError('23505');
    expect(await withRetry(() => Promise.reject(other)).catch((e: unknown) => e)).toBe(other);
  });
});

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: './data',
      LOCK_TTL_SECONDS: 600,
      SESSION_TTL_SECONDS: 1800,
      CLEANUP_INTERVAL_SECONDS: 30,
      MAX_SEATS_PER_SESSION: 10,
      SEED_DEMO: true,
      RATE_LIMIT_PER_MINUTE: 600,
    });
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOCK_TTL_SECONDS', '0'],
    ['LOCK_TTL_SECONDS', '1.5'],
    ['SEED_DEMO', 'maybe'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'http://x'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
    ['MAX_SEATS_PER_SESSION', '0'],
    ['ADMIN_TOKEN', 'short'],
  ])('%s=%s stops the start with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('never echoes a secret in its message', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).not.toThrow(/short/);
  });
});
