// The images hack/images.ts builds must be the images the Containerfiles describe: a registry
// build and a local build of the same commit run the same entry point, as the same user, with
// the same application files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageDefinitions, imageTag, type ImageDefinition, type ImageInputs } from './images.ts';

const REPO_ROOT = join(import.meta.dirname, '..');

const inputs: ImageInputs = {
  node: '/cache/node',
  operatorBundle: '/repo/dist/perpetual-operator.js',
  gatewayBundle: '/repo/dist/perpetual-gateway.js',
  migrations: ['/repo/gateway/db/migrations/001-a.sql', '/repo/gateway/db/migrations/002-b.sql'],
  redisServer: '/usr/bin/redis-check-rdb',
  shell: '/usr/bin/dash',
  inferenceSim: '/cache/llm-d-inference-sim',
  vllmCompat: '/cache/vllm-compat',
  pause: '/cache/pause',
  qdrant: '/shared/qdrant',
  caCertificates: '/etc/ssl/certs/ca-certificates.crt',
  libraries: {
    '/cache/node': ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'],
    '/usr/bin/dash': ['/lib/x86_64-linux-gnu/libc.so.6'],
  },
};

interface FinalStage {
  workdir: string;
  user: string;
  entrypoint: string[];
  cmd?: string[];
  exposed: string[];
  /** Destination of every COPY, absolute; globs kept as written. */
  files: string[];
}

/** The runtime stage of a Containerfile: everything after its last FROM. */
function finalStage(containerfile: string): FinalStage {
  const lines = readFileSync(join(REPO_ROOT, containerfile), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'));
  const stage = lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')));
  const value = (instruction: string): string | undefined =>
    stage.find((l) => l.startsWith(`${instruction} `))?.slice(instruction.length + 1);
  const workdir = value('WORKDIR') ?? '/';
  const files = stage
    .filter((l) => l.startsWith('COPY '))
    .map((l) => {
      const [source = '', destination = ''] = l
        .split(/\s+/)
        .filter((w) => !w.startsWith('--'))
        .slice(1);
      const base = join(workdir, destination);
      return destination.endsWith('/') ? join(base, source.split('/').at(-1) ?? '') : base;
    });
  return {
    workdir,
    user: value('USER') ?? '',
    entrypoint: JSON.parse(value('ENTRYPOINT') ?? '[]') as string[],
    ...(value('CMD') ? { cmd: JSON.parse(value('CMD') ?? '[]') as string[] } : {}),
    exposed: stage.filter((l) => l.startsWith('EXPOSE ')).map((l) => `${l.slice(7)}/tcp`),
    files,
  };
}

function definition(name: string): ImageDefinition {
  const found = imageDefinitions(inputs).find((d) => d.name === name);
  if (!found) throw new Error(`no image ${name}`);
  return found;
}

/** The files of the application layer (the last), with migration files folded into the Containerfile's glob. */
function applicationFiles(image: ImageDefinition): string[] {
  const paths = (image.layers.at(-1) ?? []).map((e) => e.path.replace(/\/migrations\/[^/]+\.sql$/, '/migrations/*.sql'));
  return [...new Set(paths)].sort();
}

describe.each([
  ['operator', 'operator/Containerfile'],
  ['gateway', 'gateway/Containerfile'],
])('the %s image agrees with %s', (name, containerfile) => {
  const stage = finalStage(containerfile);
  const image = definition(name);

  it('runs the same entry point and arguments in the same directory', () => {
    expect(image.config.Entrypoint).toEqual(stage.entrypoint);
    expect(image.config.Cmd).toEqual(stage.cmd);
    expect(image.config.WorkingDir).toBe(stage.workdir);
    expect(Object.keys(image.config.ExposedPorts ?? {})).toEqual(stage.exposed);
  });

  it('runs as the same numeric non-root user', () => {
    expect(stage.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(image.config.User).toBe(stage.user);
  });

  it('carries the same application files and the node binary where distroless has it', () => {
    expect(applicationFiles(image)).toEqual([...stage.files].sort());
    expect(image.config.Entrypoint?.[0]).toBe('/nodejs/bin/node');
    expect(image.layers[0]?.some((e) => e.path === '/nodejs/bin/node')).toBe(true);
  });
});

describe('image definitions', () => {
  it('give every image a numeric user and an explicit version, never latest', () => {
    for (const image of imageDefinitions(inputs)) {
      expect(image.config.User, image.name).toMatch(/^\d+:\d+$/);
      expect(imageTag(image, () => 'h')).toMatch(/^\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    }
  });

  it('copy the shared libraries each binary links, once', () => {
    const redis = definition('redis')
      .layers.flat()
      .map((e) => e.path);
    expect(redis.filter((p) => p === '/lib/x86_64-linux-gnu/libc.so.6')).toHaveLength(1);
    expect(definition('gateway').layers[0]?.map((e) => e.path)).toContain('/lib64/ld-linux-x86-64.so.2');
  });

  it('tag by content, not by where the files are on this machine', () => {
    const moved = {
      ...inputs,
      gatewayBundle: '/elsewhere/perpetual-gateway.js',
      node: '/other/node',
      libraries: { '/other/node': inputs.libraries['/cache/node'] ?? [] },
    };
    const gateway = (i: ImageInputs) => imageDefinitions(i).find((d) => d.name === 'gateway') ?? definition('gateway');
    expect(imageTag(gateway(moved), () => 'same')).toBe(imageTag(gateway(inputs), () => 'same'));
  });

  it('change the tag when a copied file changes, and only then', () => {
    const gateway = definition('gateway');
    const before = imageTag(gateway, () => 'a');
    expect(imageTag(gateway, () => 'a')).toBe(before);
    expect(imageTag(gateway, (p) => (p.endsWith('perpetual-gateway.js') ? 'b' : 'a'))).not.toBe(before);
  });

  it('leave Qdrant out when no server binary is beside the repository', () => {
    const withoutQdrant: ImageInputs = { ...inputs };
    delete withoutQdrant.qdrant;
    expect(imageDefinitions(withoutQdrant).map((d) => d.name)).not.toContain('qdrant');
    expect(imageDefinitions(inputs).map((d) => d.name)).toContain('qdrant');
  });
});
