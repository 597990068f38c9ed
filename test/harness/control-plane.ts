// A real Kubernetes control plane on loopback, built from Go modules by hack/build-binaries.sh.
//   profile "api":     etcd + kube-apiserver (token authentication, RBAC), CRDs from crds/ installed
//   profile "cluster": the above + kube-controller-manager, kube-scheduler and kwok with fake GPU nodes
//                      and a pool of PersistentVolumes under a default StorageClass
//   profile "node":    the API profile + kube-controller-manager and kube-scheduler, listening on the
//                      node's bridge address so that pods reach it; node.ts adds the real node
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig, StorageV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { fakeNodes, KWOK_NODE_ANNOTATION } from './fake-nodes.ts';
import { fakeStorageClass, fakeVolumes } from './fake-storage.ts';
import { httpsGetOk } from './kube-readiness.ts';
import { createPki, type Pki } from './pki.ts';
import { binary, freePort, REPO_ROOT, run, startProcess, waitFor, type Service } from './processes.ts';

export type Profile = 'api' | 'cluster' | 'node';

export interface ControlPlane {
  profile: Profile;
  /** Working directory with logs, certificates and the kubeconfig. */
  dir: string;
  kubeconfigPath: string;
  server: string;
  /** Milliseconds from start until the profile was fully usable. */
  startupMs: number;
  kubeConfig(): KubeConfig;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stops kube-apiserver and starts it again on the same port and etcd (state survives). */
  restartApiServer(options?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

// On the api and cluster profiles pods and Services get addresses from these ranges on paper only;
// tests never dial them. On the node profile they are real, inside the harness's own bridge.
export const SERVICE_CIDR = '10.96.0.0/16';
/** The `kubernetes` Service's ClusterIP: the first address of SERVICE_CIDR. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
const POD_CIDR = '10.244.0.1/16';

interface Identity {
  user: string;
  groups: string[];
  token: string;
}

function identity(user: string, groups: string[]): Identity {
  return { user, groups, token: randomBytes(24).toString('hex') };
}

function writeKubeconfig(path: string, server: string, caCert: string, who: Identity): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'perpetual-test', cluster: { server, 'certificate-authority-data': readFileSync(caCert).toString('base64') } }],
    users: [{ name: who.user, user: { token: who.token } }],
    contexts: [{ name: 'perpetual-test', context: { cluster: 'perpetual-test', user: who.user, namespace: 'default' } }],
    'current-context': 'perpetual-test',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}

async function startEtcd(dir: string): Promise<{ service: Service; url: string }> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const service = startProcess({
    name: 'etcd',
    command: binary('etcd'),
    args: [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync', // test data only: skip fsync for speed
      '--log-level=warn',
    ],
    logDir: dir,
  });
  await waitFor('etcd', async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 20_000, service });
  return { service, url };
}

interface ApiServerOptions {
  dir: string;
  pki: Pki;
  etcdUrl: string;
  identities: Identity[];
  admin: Identity;
  profile: Profile;
  host: string;
}

/** What only a real node needs: pods reach the API server through the `kubernetes` Service, and the
 * API server reaches the kubelet (logs, exec) by its InternalIP, never by resolving its name. */
function nodeApiServerFlags(pki: Pki): string[] {
  return [
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-client-certificate=${pki.kubeletClientCert}`,
    `--kubelet-client-key=${pki.kubeletClientKey}`,
  ];
}

async function startApiServer(options: ApiServerOptions, port?: number): Promise<{ service: Service; server: string; port: number }> {
  const { dir, pki } = options;
  port ??= await freePort();
  const tokensFile = join(dir, 'tokens.csv');
  writeFileSync(tokensFile, options.identities.map((i) => `${i.token},${i.user},${i.user},"${i.groups.join(',')}"`).join('\n') + '\n', {
    mode: 0o600,
  });
  const server = `https://${options.host}:${port}`;
  const service = startProcess({
    name: 'kube-apiserver',
    command: binary('kube-apiserver'),
    args: [
      `--etcd-servers=${options.etcdUrl}`,
      `--bind-address=${options.host}`,
      `--advertise-address=${options.host}`,
      `--secure-port=${port}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${tokensFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allow-privileged=true',
      // Without kube-controller-manager nobody creates the default ServiceAccounts that this admission plugin requires.
      ...(options.profile === 'api' ? ['--disable-admission-plugins=ServiceAccount'] : []),
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      // Only real pods use the `kubernetes` Service's endpoints.
      ...(options.profile === 'node' ? nodeApiServerFlags(pki) : ['--endpoint-reconciler-type=none']),
    ],
    logDir: dir,
  });
  const ca = readFileSync(pki.caCert, 'utf8');
  await waitFor('kube-apiserver', () => httpsGetOk(`${server}/readyz`, { ca, token: options.admin.token }), {
    timeoutMs: 60_000,
    service,
  });
  return { service, server, port };
}

/** Who each cluster-profile component authenticates as. The scheduler has its own bootstrap RBAC role. */
function clusterIdentities(): Record<'kcm' | 'scheduler' | 'kwok', Identity> {
  return {
    kcm: identity('system:kube-controller-manager', ['system:masters']),
    scheduler: identity('system:kube-scheduler', []),
    kwok: identity('kwok-controller', ['system:masters']),
  };
}

/** The node's components (node.ts starts them with the kubeconfigs named after these keys). */
export const NODE_NAME = 'perpetual-node';
function nodeIdentities(): Record<'kubelet' | 'kube-proxy' | 'coredns', Identity> {
  return {
    kubelet: identity(`system:node:${NODE_NAME}`, ['system:nodes', 'system:masters']),
    'kube-proxy': identity('system:kube-proxy', ['system:masters']),
    coredns: identity('coredns', ['system:masters']),
  };
}

/** Flags shared by kube-controller-manager and kube-scheduler. */
async function componentFlags(kubeconfig: string): Promise<string[]> {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${await freePort()}`,
  ];
}

async function startClusterComponents(
  dir: string,
  pki: Pki,
  kubeconfigs: Record<keyof ReturnType<typeof clusterIdentities>, string>,
  profile: Profile,
): Promise<Service[]> {
  const kcm = startProcess({
    name: 'kube-controller-manager',
    command: binary('kube-controller-manager'),
    args: [
      ...(await componentFlags(kubeconfigs.kcm)),
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // No cloud and no real network: leave out the controllers that would manage them.
      '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller',
      // Fake nodes never fail; a late heartbeat on a busy machine must not mark one NotReady (and
      // every pod on it unready), as the default 50 s grace did.
      '--node-monitor-grace-period=5m',
    ],
    logDir: dir,
  });
  const scheduler = startProcess({
    name: 'kube-scheduler',
    command: binary('kube-scheduler'),
    args: await componentFlags(kubeconfigs.scheduler),
    logDir: dir,
  });
  if (profile === 'node') return [kcm, scheduler];
  const kwok = startProcess({
    name: 'kwok',
    command: binary('kwok'),
    args: [
      `--kubeconfig=${kubeconfigs.kwok}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      `--cidr=${POD_CIDR}`,
      // Heartbeats through node Leases (renewed every few seconds) rather than node status alone,
      // which kwok rewrites only about every 50 s.
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${await freePort()}`,
    ],
    logDir: dir,
  });
  return [kcm, scheduler, kwok];
}

async function createFakeNodesAndStorage(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const node of fakeNodes()) await core.createNode({ body: node });
  await kc.makeApiClient(StorageV1Api).createStorageClass({ body: fakeStorageClass() });
  for (const volume of fakeVolumes()) await core.createPersistentVolume({ body: volume });
}

type Kubectl = ControlPlane['kubectl'];

/** Runs the built kubectl against a kubeconfig, with a discovery cache private to this control plane. */
export function kubectlFor(kubeconfigPath: string, dir: string): Kubectl {
  return (args, input) =>
    run(binary('kubectl'), args, { env: { KUBECONFIG: kubeconfigPath, KUBECACHEDIR: join(dir, 'kubectl-cache') }, input });
}

export function kubeConfigFrom(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

async function installCrds(kubectl: Kubectl): Promise<void> {
  await expectOk(kubectl(['apply', '--server-side', '-k', join(REPO_ROOT, 'crds')]), 'installing CRDs');
  await expectOk(kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=30s']), 'waiting for CRDs');
}

/** The cluster is usable once every fake node is Ready and the default ServiceAccount exists. */
async function waitForCluster(kubectl: Kubectl): Promise<void> {
  await expectOk(kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']), 'waiting for nodes');
  await waitFor('default ServiceAccount', async () => (await kubectl(['get', 'serviceaccount', 'default'])).code === 0, {
    timeoutMs: 30_000,
  });
}

async function expectOk(result: ReturnType<Kubectl>, what: string): Promise<void> {
  const { code, stderr } = await result;
  if (code !== 0) throw new Error(`${what}: ${stderr.trim()}`);
}

export interface ControlPlaneOptions {
  profile: Profile;
  /** The address the API server listens on and advertises: loopback, or the node's bridge address. */
  host?: string;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const started = Date.now();
  const { profile } = options;
  const host = options.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), `perpetual-${profile}-`));
  const services: Service[] = [];
  const stop = async (): Promise<void> => {
    for (const service of services.reverse()) await service.stop();
    if (process.env.KEEP_TEST_DIRS !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = await createPki(dir, [host, KUBERNETES_SERVICE_IP]);
    const admin = identity('perpetual-test-admin', ['system:masters']);
    const components = clusterIdentities();
    const etcd = await startEtcd(dir);
    services.push(etcd.service);
    // Every identity must be in the token file before the API server starts.
    const nodeComponents = nodeIdentities();
    const identities = [
      admin,
      ...(profile === 'api' ? [] : Object.values(components)),
      ...(profile === 'node' ? Object.values(nodeComponents) : []),
    ];
    const apiOptions: ApiServerOptions = { dir, pki, etcdUrl: etcd.url, identities, admin, profile, host };
    let api = await startApiServer(apiOptions);
    // The list holds a stand-in so that stop() always stops the current API server process.
    services.push({ ...api.service, stop: () => api.service.stop() });
    const restartApiServer = async (options: { downMs?: number } = {}): Promise<void> => {
      await api.service.stop();
      await new Promise((r) => setTimeout(r, options.downMs ?? 0));
      api = await startApiServer(apiOptions, api.port);
    };
    const kubeconfigFor = (name: string, who: Identity): string => {
      const path = join(dir, name);
      writeKubeconfig(path, api.server, pki.caCert, who);
      return path;
    };
    const kubeconfigPath = kubeconfigFor('kubeconfig', admin);
    const kubectl = kubectlFor(kubeconfigPath, dir);
    const kubeConfig = (): KubeConfig => kubeConfigFrom(kubeconfigPath);
    await installCrds(kubectl);
    if (profile !== 'api') {
      const kubeconfigs = {
        kcm: kubeconfigFor('kcm.kubeconfig', components.kcm),
        scheduler: kubeconfigFor('scheduler.kubeconfig', components.scheduler),
        kwok: kubeconfigFor('kwok.kubeconfig', components.kwok),
      };
      services.push(...(await startClusterComponents(dir, pki, kubeconfigs, profile)));
    }
    if (profile === 'cluster') {
      await createFakeNodesAndStorage(kubeConfig());
      await waitForCluster(kubectl);
    }
    if (profile === 'node') {
      for (const [name, who] of Object.entries(nodeComponents)) kubeconfigFor(`${name}.kubeconfig`, who);
    }
    return {
      profile,
      dir,
      kubeconfigPath,
      server: api.server,
      startupMs: Date.now() - started,
      kubeConfig,
      kubectl,
      restartApiServer,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
