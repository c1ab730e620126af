import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('starts on embedded defaults when nothing is set', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      redis: undefined,
      logTtlMs: 3_600_000,
    });
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({ PORT: '8080', REDIS_URL: 'redis://cache:6379/2', SPOOL_LOG_TTL_SECONDS: '60' });
    expect(config).toMatchObject({ port: 8080, redis: { url: 'redis://cache:6379/2' }, logTtlMs: 60_000 });
  });

  it('reads a Redis Cluster from its seed nodes, and refuses it beside REDIS_URL', () => {
    const nodes = 'redis-a:7000, 10.0.0.2:7001,rediss://spool:secret@redis-c:7002';
    expect(loadConfig({ REDIS_CLUSTER_NODES: nodes }).redis).toEqual({
      clusterNodes: ['redis-a:7000', '10.0.0.2:7001', 'rediss://spool:secret@redis-c:7002'],
    });
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: nodes, REDIS_URL: 'redis://cache:6379' })).toThrow(
      /^invalid configuration: REDIS_CLUSTER_NODES: set it or REDIS_URL, not both/,
    );
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-a' })).toThrow(
      /^invalid configuration: REDIS_CLUSTER_NODES: host:port, or redis\[s\]:\/\/.*"redis-a"/,
    );
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://not-redis'],
    ['SPOOL_DEMO_TOKENS_PER_SECOND', '-1'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s in one line naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration: ${name}: .*"${value}"`));
  });

  it('reads the model provider settings, an empty variable as unset', () => {
    expect(loadConfig({ OPENAI_API_KEY: '' }).openai).toBeUndefined();
    expect(loadConfig({ OPENAI_API_KEY: 'sk-1', SPOOL_MODELS: 'a, b,,c' }).openai).toMatchObject({
      apiKey: 'sk-1',
      defaultModel: 'gpt-4o-mini',
      models: ['a', 'b', 'c'],
    });
    expect(() => loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })).toThrow(
      /^invalid configuration: SPOOL_MODEL: required with OPENAI_BASE_URL/,
    );
  });

  it('refuses to start in production without authentication, and takes none in development', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /^invalid configuration: SPOOL_JWT_SECRET: NODE_ENV=production needs authentication/,
    );
    expect(loadConfig({ NODE_ENV: 'production', SPOOL_JWT_SECRET: 's'.repeat(32) }).auth.mode).toBe('jwt');
    expect(loadConfig({}).auth.mode).toBe('development');
  });

  it('stops the process with that one line and a non-zero exit code', () => {
    const result = spawnSync(process.execPath, ['--conditions=@spool/source', 'server/src/main.ts'], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^spool: invalid configuration: PORT: .*"eighty"/),
    ]);
  });
});
