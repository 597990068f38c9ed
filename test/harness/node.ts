// The node profile: the control plane plus one real node on this machine: containerd 2 and runc
// run real containers from images built here (hack/images.ts, imported, never pulled), the kubelet
// registers as NODE_NAME with GPUs from a device plugin, kube-proxy programs Services, CoreDNS
// answers cluster names, all on a private bridge (node-network.ts) that no pod can leave.
//
// Switches this machine kind needs, each one found the hard way:
//   kubelet failCgroupV1: false, cgroupDriver: cgroupfs, failSwapOn: false (cgroup v1, no systemd);
//   containerd restrict_oom_score_adj (no CAP_SYS_RESOURCE: else every pod fails with "can't get
//   final child's PID from pipe"); the API server on the bridge address (a kubelet refuses a loopback
//   node IP) and told to reach the kubelet by InternalIP (else it resolves the node's name through
//   the machine's resolver); pods get resolvConf "" and CoreDNS without forwarding, so no name is
//   ever looked up outside the cluster; image GC off so imported images stay; every registry mapped
//   to a closed loopback port, so a missing image fails as ImagePullBackOff without a lookup.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CoreV1Api, StorageV1Api, type KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { buildImages, type BuiltImage } from '../../hack/images.ts';
import { NODE_NAME, startControlPlane, type ControlPlane } from './control-plane.ts';
import { fakeStorageClass, fakeVolumes } from './fake-storage.ts';
import { checkNodePrerequisites, cniConfig, NODE_IP, POD_SUBNET, setUpNodeNetwork } from './node-network.ts';
import { binary, freePort, run, startProcess, waitFor, type Service } from './processes.ts';

export { NODE_IP, NODE_NAME };
/** What the fake device plugin advertises on the node. */
export const NODE_GPUS = 4;
const DEVICE_PLUGIN_DIR = '/var/lib/kubelet/device-plugins'; // fixed in the kubelet, whatever its root dir
const CONTAINERD_STATE = '/run/containerd'; // shims put their sockets here whatever the config says

export interface Node extends ControlPlane {
  /** Images built from this repository and imported into the node, by name (operator, gateway, ...). */
  images: Map<string, BuiltImage>;
  /** Milliseconds from start until the node was Ready with its images. */
  nodeStartupMs: number;
}

interface NodePaths {
  dir: string;
  containerd: string;
  socket: string;
  kubelet: string;
  cni: string;
}

function paths(dir: string): NodePaths {
  const containerd = join(dir, 'containerd');
  return { dir, containerd, socket: join(containerd, 'containerd.sock'), kubelet: join(dir, 'kubelet'), cni: join(dir, 'cni') };
}

export function containerdConfig(p: NodePaths, pause: string): string {
  const cri = "plugins.'io.containerd.cri.v1";
  return `version = 3
root = '${p.containerd}/root'
state = '${p.containerd}/state'
[grpc]
  address = '${p.socket}'
[ttrpc]
  address = '${p.socket}.ttrpc'
[plugins.'io.containerd.internal.v1.opt']
  path = '${p.containerd}/opt'
[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
  stream_server_address = '127.0.0.1'
[${cri}.images']
  snapshotter = 'overlayfs'
[${cri}.images'.pinned_images]
  sandbox = '${pause}'
[${cri}.images'.registry]
  config_path = '${p.containerd}/hosts'
[${cri}.runtime']
  restrict_oom_score_adj = true
  enable_selinux = false
[${cri}.runtime'.cni]
  bin_dirs = ['/usr/lib/cni']
  conf_dir = '${p.cni}/net.d'
[${cri}.runtime'.containerd]
  default_runtime_name = 'runc'
[${cri}.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'
[${cri}.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = false
`;
}

export function kubeletConfig(dir: string, p: NodePaths, healthzPort: number): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: join(dir, 'ca.crt') } },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${p.socket}`,
    clusterDNS: [NODE_IP],
    clusterDomain: 'cluster.local',
    resolvConf: '',
    podLogsDir: join(dir, 'pod-logs'),
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    serializeImagePulls: false,
    nodeStatusReportFrequency: '10s',
    staticPodPath: '',
  });
}

export function kubeProxyConfig(dir: string, ports: { healthz: number; metrics: number }): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: join(dir, 'kube-proxy.kubeconfig') },
    mode: 'iptables',
    clusterCIDR: POD_SUBNET,
    hostnameOverride: NODE_NAME,
    bindAddress: NODE_IP,
    healthzBindAddress: `127.0.0.1:${String(ports.healthz)}`,
    metricsBindAddress: `127.0.0.1:${String(ports.metrics)}`,
    nodePortAddresses: [`${NODE_IP}/32`],
    // Leave the machine's conntrack sysctls alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}

export function corefile(dir: string): string {
  // Cluster names only; anything else is refused rather than forwarded to the machine's resolver.
  return `cluster.local:53 in-addr.arpa:53 {
    bind ${NODE_IP}
    errors
    kubernetes cluster.local in-addr.arpa {
        kubeconfig ${join(dir, 'coredns.kubeconfig')} perpetual-test
        pods insecure
    }
    cache 5
}
.:53 {
    bind ${NODE_IP}
    errors
}
`;
}

/** Volumes for claims: directories under the run's own directory, bound by kube-controller-manager. */
async function createVolumes(kc: KubeConfig, dir: string, count = 12): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await kc.makeApiClient(StorageV1Api).createStorageClass({ body: fakeStorageClass() });
  const pathOf = (i: number): string => join(dir, 'volumes', `pv-${String(i)}`);
  for (const volume of fakeVolumes(count, '100Gi', pathOf)) {
    const path = volume.spec?.hostPath?.path ?? '';
    mkdirSync(path, { recursive: true });
    chmodSync(path, 0o777); // any pod user may write (hostPath ignores fsGroup); mkdir's mode is cut by the umask
    await core.createPersistentVolume({ body: volume });
  }
}

/** Every process in the kubelet's pod cgroups: the containers. */
function containerPids(): number[] {
  const root = '/sys/fs/cgroup/pids/kubepods';
  const pids: number[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name === 'cgroup.procs')
        pids.push(...readFileSync(join(dir, entry.name), 'utf8').split('\n').filter(Boolean).map(Number));
    }
  };
  walk(root);
  return pids;
}

/** The runc shims our containerd started (they outlive containerd by design). */
function shimPids(socket: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes('containerd-shim-runc-v2') && cmdline.includes(socket) ? [Number(pid)] : [];
      } catch {
        return [];
      }
    });
}

function kill(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Mount points under any of `prefixes`, deepest first. */
function mountsUnder(prefixes: string[]): string[] {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((p) => p.replace(/\\040/g, ' '));
  return points.filter((p) => prefixes.some((prefix) => p.startsWith(prefix))).reverse();
}

/** Removes the pod cgroups the kubelet made, in every hierarchy, leaves first (rmdir: they hold only virtual files). */
async function removePodCgroups(): Promise<void> {
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const kubepods = join('/sys/fs/cgroup', hierarchy, 'kubepods');
    if (existsSync(kubepods)) await run('find', [kubepods, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', '+']);
  }
}

async function waitForNode(cp: ControlPlane, kubelet: Service): Promise<void> {
  const kubectl = (args: string[]): ReturnType<ControlPlane['kubectl']> => cp.kubectl(args);
  await waitFor(
    'node Ready',
    async () => (await kubectl(['wait', '--for=condition=Ready', `node/${NODE_NAME}`, '--timeout=2s'])).code === 0,
    {
      timeoutMs: 90_000,
      service: kubelet,
    },
  );
  await waitFor(
    `${NODE_GPUS} nvidia.com/gpu on the node`,
    async () => {
      const out = await kubectl(['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.allocatable.nvidia\\.com/gpu}']);
      return out.stdout.trim() === String(NODE_GPUS);
    },
    { timeoutMs: 30_000 },
  );
  await waitFor('default ServiceAccount', async () => (await kubectl(['get', 'serviceaccount', 'default'])).code === 0, {
    timeoutMs: 30_000,
  });
}

export async function startNode(): Promise<Node> {
  const started = Date.now();
  await checkNodePrerequisites();
  const hadKubeletDir = existsSync('/var/lib/kubelet');
  const hadContainerdState = existsSync(CONTAINERD_STATE);
  const hadNetnsDir = existsSync('/run/netns');
  const netnsBefore = new Set(hadNetnsDir ? readdirSync('/run/netns') : []);
  const images = new Map(buildImages().map((i) => [i.name, i]));
  const network = await setUpNodeNetwork();
  const pause = images.get('pause')?.reference ?? '';
  let stopControlPlane: (() => Promise<void>) | undefined;
  const services: Service[] = [];
  let p: NodePaths | undefined;

  const stop = async (): Promise<void> => {
    const nodeServices = services.splice(0).reverse();
    for (const service of nodeServices.filter((s) => s.name !== 'containerd')) await service.stop();
    kill(containerPids());
    if (p) kill(shimPids(p.socket));
    for (const service of nodeServices.filter((s) => s.name === 'containerd')) await service.stop();
    for (const point of mountsUnder([...(p ? [p.dir] : []), CONTAINERD_STATE, '/run/netns/cni-'])) await run('umount', ['-l', point]);
    for (const ns of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
      if (!netnsBefore.has(ns) && ns.startsWith('cni-')) await run('ip', ['netns', 'delete', ns]);
    }
    await removePodCgroups();
    await stopControlPlane?.();
    await network.restore();
    if (!hadKubeletDir) rmSync('/var/lib/kubelet', { recursive: true, force: true });
    else rmSync(DEVICE_PLUGIN_DIR, { recursive: true, force: true });
    if (!hadContainerdState) rmSync(CONTAINERD_STATE, { recursive: true, force: true });
    if (!hadNetnsDir) rmSync('/run/netns', { recursive: true, force: true });
  };

  try {
    const cp = await startControlPlane({ profile: 'node', host: NODE_IP });
    stopControlPlane = () => cp.stop();
    p = paths(cp.dir);
    const node = p;
    for (const d of [node.containerd, node.kubelet, join(node.cni, 'net.d'), join(node.containerd, 'hosts/_default'), DEVICE_PLUGIN_DIR])
      mkdirSync(d, { recursive: true });
    writeFileSync(join(node.cni, 'net.d', '10-perpetual.conflist'), cniConfig(join(node.cni, 'ipam')));
    // No registry is reachable: every pull goes to a closed loopback port and fails at once.
    writeFileSync(join(node.containerd, 'hosts/_default/hosts.toml'), "server = 'http://127.0.0.1:1'\n");
    writeFileSync(join(node.containerd, 'config.toml'), containerdConfig(node, pause));
    // containerd finds its shim, and the shim runc, on PATH.
    const path = `${dirname(binary('containerd'))}:/usr/sbin:/usr/bin:/sbin:/bin`;
    const containerd = startProcess({
      name: 'containerd',
      command: binary('containerd'),
      args: ['--config', join(node.containerd, 'config.toml')],
      logDir: cp.dir,
      env: { PATH: path },
    });
    services.push(containerd);
    await waitFor('containerd', async () => (await ctr(node, ['version'])).code === 0, { timeoutMs: 30_000, service: containerd });
    for (const image of images.values()) {
      const imported = await ctr(node, ['images', 'import', '--local', image.archive]);
      if (imported.code !== 0) throw new Error(`importing ${image.archive}: ${imported.stderr.trim()}`);
    }

    writeFileSync(join(cp.dir, 'kubelet.yaml'), kubeletConfig(cp.dir, node, await freePort()));
    const kubelet = startProcess({
      name: 'kubelet',
      command: binary('kubelet'),
      args: [
        `--config=${join(cp.dir, 'kubelet.yaml')}`,
        `--kubeconfig=${join(cp.dir, 'kubelet.kubeconfig')}`,
        `--root-dir=${node.kubelet}`,
        `--cert-dir=${join(node.kubelet, 'pki')}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${NODE_IP}`,
        '--v=1',
      ],
      logDir: cp.dir,
      env: { PATH: path },
    });
    services.push(kubelet);
    services.push(
      startProcess({
        name: 'device-plugin',
        command: binary('fake-gpu-plugin'),
        args: [`--count=${String(NODE_GPUS)}`, `--dir=${DEVICE_PLUGIN_DIR}`],
        logDir: cp.dir,
      }),
    );
    writeFileSync(join(cp.dir, 'kube-proxy.yaml'), kubeProxyConfig(cp.dir, { healthz: await freePort(), metrics: await freePort() }));
    services.push(
      startProcess({
        name: 'kube-proxy',
        command: binary('kube-proxy'),
        args: [`--config=${join(cp.dir, 'kube-proxy.yaml')}`],
        logDir: cp.dir,
        env: { PATH: path },
      }),
    );
    writeFileSync(join(cp.dir, 'Corefile'), corefile(cp.dir));
    services.push(startProcess({ name: 'coredns', command: binary('coredns'), args: ['-conf', join(cp.dir, 'Corefile')], logDir: cp.dir }));
    await createVolumes(cp.kubeConfig(), cp.dir);
    await waitForNode(cp, kubelet);
    return {
      profile: 'node',
      dir: cp.dir,
      kubeconfigPath: cp.kubeconfigPath,
      server: cp.server,
      startupMs: cp.startupMs,
      kubeConfig: () => cp.kubeConfig(),
      kubectl: (args, input) => cp.kubectl(args, input),
      restartApiServer: (options) => cp.restartApiServer(options),
      images,
      nodeStartupMs: Date.now() - started,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

function ctr(p: NodePaths, args: string[]): ReturnType<typeof run> {
  return run(binary('ctr'), ['--address', p.socket, '--namespace', 'k8s.io', ...args], { timeoutMs: 120_000 });
}
