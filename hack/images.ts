// Builds this repository's container images without Docker or a registry, each time the tests or
// the main job need them, keyed by their inputs (a tag is the hash of every file that goes in).
//   node hack/images.ts        build what is missing and print each image's reference and archive
//
// The operator and gateway images are what operator/Containerfile and gateway/Containerfile make
// (same entry point, user and files; images.test.ts compares them), with the distroless base
// replaced by its essentials: the Node.js binary (stripped), the shared libraries it links and a
// passwd naming the numeric user. Redis, Qdrant (the server in ../shared/qdrant, when present),
// the vLLM stand-in and the pod sandbox's pause are packed the same way from what this machine
// has: Debian's packages and our Go builds. The archives are `docker save` archives written by
// hack/go/image-tools (deterministic); `ctr images import` and `kind load image-archive` read them.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { qdrantServerBinary } from '../test/harness/qdrant.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const LOCAL_BIN = join(REPO_ROOT, '.bin');

/** One path in a layer, as hack/go/image-tools/cmd/image-writer reads it. */
export interface LayerEntry {
  path: string;
  source?: string;
  content?: string;
  dir?: boolean;
  link?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** The OCI image config's `config` object: what the kubelet runs. */
export interface RuntimeConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  User: string;
  WorkingDir?: string;
  Env: string[];
  ExposedPorts?: Record<string, Record<string, never>>;
}

export interface ImageDefinition {
  name: string;
  config: RuntimeConfig;
  layers: LayerEntry[][];
}

export interface BuiltImage {
  name: string;
  /** What a pod spec names, e.g. perpetual.local/gateway:0.1.0-3f2a9c1d0b4e. Never `latest`. */
  reference: string;
  archive: string;
  bytes: number;
}

/** distroless's `nonroot`, as a number: a kubelet can verify runAsNonRoot only for a numeric user. */
export const NONROOT = 65532;
export const IMAGE_REPOSITORY = 'perpetual.local';
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PATH_ENV = 'PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin';

/** Where the files that go into the images are on this machine. */
export interface ImageInputs {
  node: string;
  operatorBundle: string;
  gatewayBundle: string;
  migrations: string[];
  redisServer: string;
  shell: string;
  inferenceSim: string;
  /** Takes vLLM's command line and runs the simulator with the flags it knows. */
  vllmCompat: string;
  pause: string;
  /** Absent where ../shared/qdrant is not beside the repository. */
  qdrant?: string;
  /** The system's CA bundle (Qdrant's HTTP client refuses to start without one). */
  caCertificates: string;
  /** Shared libraries each binary needs (from ldd), by binary path. */
  libraries: Record<string, string[]>;
}

function passwd(users: [string, number][]): LayerEntry[] {
  const lines = (format: (name: string, id: number) => string) => users.map(([name, id]) => format(name, id)).join('');
  return [
    { path: '/etc/passwd', content: lines((n, id) => `${n}:x:${String(id)}:${String(id)}:${n}:/home/${n}:/sbin/nologin\n`) },
    { path: '/etc/group', content: lines((n, id) => `${n}:x:${String(id)}:\n`) },
    { path: '/etc/nsswitch.conf', content: 'hosts: files dns\n' },
    { path: '/tmp', dir: true, mode: 0o1777 },
    ...users.filter(([, id]) => id !== 0).map(([name, id]) => ({ path: `/home/${name}`, dir: true, uid: id, gid: id })),
  ];
}

function withLibraries(inputs: ImageInputs, binary: string, entry: LayerEntry): LayerEntry[] {
  const libraries = inputs.libraries[binary] ?? [];
  return [entry, ...libraries.map((lib) => ({ path: lib, source: lib }))];
}

/** Merges entries, keeping the first of any path listed twice (shared libraries of two binaries). */
function layer(...groups: LayerEntry[][]): LayerEntry[] {
  const seen = new Map<string, LayerEntry>();
  for (const entry of groups.flat()) if (!seen.has(entry.path)) seen.set(entry.path, entry);
  return [...seen.values()];
}

/** Pure: every image, from where its inputs are. */
export function imageDefinitions(inputs: ImageInputs): ImageDefinition[] {
  const user = `${String(NONROOT)}:${String(NONROOT)}`;
  const nodeBase = layer(
    withLibraries(inputs, inputs.node, { path: '/nodejs/bin/node', source: inputs.node, mode: 0o755 }),
    passwd([
      ['root', 0],
      ['nonroot', NONROOT],
    ]),
  );
  const definitions: ImageDefinition[] = [
    {
      name: 'operator',
      config: {
        Entrypoint: ['/nodejs/bin/node', 'perpetual-operator.js'],
        User: user,
        WorkingDir: '/app',
        Env: [PATH_ENV],
        ExposedPorts: { '8080/tcp': {} },
      },
      layers: [nodeBase, [{ path: '/app/perpetual-operator.js', source: inputs.operatorBundle }]],
    },
    {
      name: 'gateway',
      config: {
        Entrypoint: ['/nodejs/bin/node', 'perpetual-gateway.js'],
        Cmd: ['serve'],
        User: user,
        WorkingDir: '/app',
        Env: [PATH_ENV],
        ExposedPorts: { '8000/tcp': {} },
      },
      layers: [
        nodeBase,
        [
          { path: '/app/perpetual-gateway.js', source: inputs.gatewayBundle },
          ...inputs.migrations.map((file) => ({ path: `/app/migrations/${file.split('/').at(-1) ?? file}`, source: file })),
        ],
      ],
    },
    {
      // The operator starts Redis through `sh -c` (to pass the password from the environment).
      name: 'redis',
      config: { Cmd: ['redis-server'], User: '999:999', WorkingDir: '/data', Env: [PATH_ENV], ExposedPorts: { '6379/tcp': {} } },
      layers: [
        layer(
          withLibraries(inputs, inputs.shell, { path: '/bin/sh', source: inputs.shell, mode: 0o755 }),
          withLibraries(inputs, inputs.redisServer, { path: '/usr/bin/redis-server', source: inputs.redisServer, mode: 0o755 }),
          passwd([
            ['root', 0],
            ['redis', 999],
          ]),
          [{ path: '/data', dir: true, uid: 999, gid: 999 }],
        ),
      ],
    },
    {
      // The vLLM stand-in: a ModelServer's pod runs it with vLLM's own flags.
      name: 'inference-sim',
      config: {
        Entrypoint: ['/usr/local/bin/vllm-compat'],
        User: user,
        WorkingDir: '/tmp',
        Env: [PATH_ENV, 'HOME=/tmp'],
        ExposedPorts: { '8000/tcp': {} },
      },
      layers: [
        layer(
          [
            { path: '/usr/local/bin/llm-d-inference-sim', source: inputs.inferenceSim, mode: 0o755 },
            { path: '/usr/local/bin/vllm-compat', source: inputs.vllmCompat, mode: 0o755 },
          ],
          passwd([
            ['root', 0],
            ['nonroot', NONROOT],
          ]),
        ),
      ],
    },
    {
      name: 'pause',
      config: { Entrypoint: ['/pause'], User: '65535:65535', Env: [] },
      layers: [[{ path: '/pause', source: inputs.pause, mode: 0o755 }]],
    },
  ];
  if (inputs.qdrant) {
    // As the qdrant/qdrant image lays it out: /qdrant is the working directory, storage and
    // snapshots beneath it, run as uid 1000 (the operator's StatefulSet sets the same user).
    definitions.push({
      name: 'qdrant',
      config: {
        Entrypoint: ['/qdrant/qdrant'],
        User: '1000:1000',
        WorkingDir: '/qdrant',
        Env: [PATH_ENV, 'QDRANT__TELEMETRY_DISABLED=true'],
        ExposedPorts: { '6333/tcp': {}, '6334/tcp': {} },
      },
      layers: [
        layer(
          withLibraries(inputs, inputs.qdrant, { path: '/qdrant/qdrant', source: inputs.qdrant, mode: 0o755 }),
          passwd([
            ['root', 0],
            ['qdrant', 1000],
          ]),
          [{ path: '/etc/ssl/certs/ca-certificates.crt', source: inputs.caCertificates }],
          ['/qdrant', '/qdrant/storage', '/qdrant/snapshots'].map((path) => ({ path, dir: true, uid: 1000, gid: 1000 })),
        ),
      ],
    });
  }
  return definitions;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const fileHashes = new Map<string, string>();
function fileHash(path: string): string {
  let hash = fileHashes.get(path);
  if (!hash) fileHashes.set(path, (hash = sha256(readFileSync(path))));
  return hash;
}

/** The tag: the package version and a hash of the definition and of every file it copies. */
export function imageTag(definition: ImageDefinition, hashOf: (path: string) => string = fileHash): string {
  // Where a file comes from on this machine is not an input: its content is. The same commit then
  // gets the same tags in any checkout, on any machine.
  const layers = definition.layers.map((entries) =>
    entries.map(({ source, ...entry }) => (source ? { ...entry, sha256: hashOf(source) } : entry)),
  );
  return `${VERSION}-${sha256(JSON.stringify({ ...definition, layers })).slice(0, 12)}`;
}

/** Shared libraries a dynamically linked binary loads, from ldd; none for a static one. */
export function librariesOf(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return []; // ldd exits non-zero on a static binary
  }
  return out.split('\n').flatMap((line) => {
    const path = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1];
    return path ? [path] : [];
  });
}

function cacheRoot(): string {
  return process.env.PERPETUAL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'perpetual');
}

/** Node's release binary carries 18 MB of symbols that nothing in an image reads. */
function strippedNode(): string {
  const node = execFileSync(join(LOCAL_BIN, 'node'), ['-p', 'process.execPath'], { encoding: 'utf8' }).trim();
  const out = join(cacheRoot(), 'images', `node-${fileHash(node).slice(0, 12)}-stripped`);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  try {
    execFileSync('strip', ['-o', `${out}.partial`, node], { stdio: 'ignore' });
    renameSync(`${out}.partial`, out);
    return out;
  } catch {
    return node; // no binutils here: ship it unstripped
  }
}

function firstExisting(...paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/** Resolves where every input is, building the bundles first. */
export function gatherInputs(): ImageInputs {
  execFileSync(
    join(LOCAL_BIN, 'node'),
    [join(REPO_ROOT, 'node_modules/rolldown/bin/cli.mjs'), '-c', 'rolldown.config.ts', '--log-level', 'warn'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const migrationsDir = join(REPO_ROOT, 'gateway/db/migrations');
  const realpath = (p: string): string => execFileSync('readlink', ['-f', p], { encoding: 'utf8' }).trim();
  const qdrant = qdrantServerBinary();
  const redisServer = firstExisting('/usr/bin/redis-server');
  if (!redisServer) throw new Error('redis-server is not installed: run ./hack/setup.sh');
  const inputs: ImageInputs = {
    node: strippedNode(),
    operatorBundle: join(REPO_ROOT, 'dist/perpetual-operator.js'),
    gatewayBundle: join(REPO_ROOT, 'dist/perpetual-gateway.js'),
    migrations: readdirSync(migrationsDir)
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((f) => join(migrationsDir, f)),
    redisServer: realpath(redisServer),
    shell: realpath('/bin/sh'),
    inferenceSim: realpath(join(LOCAL_BIN, 'llm-d-inference-sim')),
    vllmCompat: realpath(join(LOCAL_BIN, 'vllm-compat')),
    pause: realpath(join(LOCAL_BIN, 'pause')),
    ...(qdrant ? { qdrant: realpath(qdrant) } : {}),
    caCertificates: realpath('/etc/ssl/certs/ca-certificates.crt'),
    libraries: {},
  };
  for (const binary of [inputs.node, inputs.redisServer, inputs.shell, inputs.inferenceSim, inputs.pause, inputs.qdrant]) {
    const libraries = binary ? librariesOf(binary) : [];
    if (binary && libraries.length > 0) inputs.libraries[binary] = libraries;
  }
  return inputs;
}

/** Archives kept per image: every code change makes a new gateway archive of about 120 MB. */
const ARCHIVES_KEPT = 3;

/** Deletes all but the ARCHIVES_KEPT most recently used archives of image `name`. */
function pruneArchives(dir: string, name: string): void {
  const pattern = new RegExp(`^${name}-\\d+\\.\\d+\\.\\d+-[0-9a-f]{12}\\.tar$`);
  const archives = readdirSync(dir)
    .filter((f) => pattern.test(f))
    .map((f) => ({ path: join(dir, f), used: statSync(join(dir, f)).mtimeMs }));
  for (const stale of archives.sort((a, b) => b.used - a.used).slice(ARCHIVES_KEPT)) rmSync(stale.path, { force: true });
}

/** Writes each image's archive unless one with the same tag exists; returns them all. */
export function buildImages(definitions: ImageDefinition[] = imageDefinitions(gatherInputs())): BuiltImage[] {
  const dir = join(cacheRoot(), 'images');
  mkdirSync(dir, { recursive: true });
  return definitions.map((definition) => {
    const reference = `${IMAGE_REPOSITORY}/${definition.name}:${imageTag(definition)}`;
    const archive = join(dir, `${definition.name}-${reference.split(':').at(-1) ?? ''}.tar`);
    if (existsSync(archive)) {
      const now = new Date();
      utimesSync(archive, now, now); // used: pruning keeps the recently used
    } else {
      const spec = join(dir, `${definition.name}.spec.json`);
      writeFileSync(spec, JSON.stringify({ tag: reference, config: definition.config, layers: definition.layers }));
      execFileSync(join(LOCAL_BIN, 'image-writer'), [spec, archive], { stdio: ['ignore', 'inherit', 'inherit'] });
    }
    pruneArchives(dir, definition.name);
    return { name: definition.name, reference, archive, bytes: statSync(archive).size };
  });
}

if (process.argv[1] === import.meta.filename) {
  for (const image of buildImages()) {
    console.log(`${image.reference}\t${(image.bytes / 1e6).toFixed(1)} MB\t${image.archive}`);
  }
}
