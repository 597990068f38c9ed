// The node's private network: a bridge that only this harness uses, the pod subnet on it, the
// Service range routed into it, and nothing out. Every change to the machine is recorded first and
// undone by `restore` (iptables rules, sysctls, links and routes), so a run leaves nothing behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { run, runOrThrow } from './processes.ts';
import { SERVICE_CIDR } from './control-plane.ts';

export const BRIDGE = 'perpetual0';
/** The node's address: the bridge's, where the API server, CoreDNS and PostgreSQL listen for pods. */
export const NODE_IP = '10.244.0.1';
export const POD_SUBNET = '10.244.0.0/24';

/** Sysctls the node needs, and why. Each is restored to what it was. */
const SYSCTLS: Record<string, string> = {
  // Pod → ClusterIP → pod crosses the host's routing, where kube-proxy's DNAT rules are.
  'net/ipv4/ip_forward': '1',
  // A reply from a pod to a pod on the same bridge must pass conntrack to be un-DNATed.
  'net/bridge/bridge-nf-call-iptables': '1',
};

export interface NodeNetwork {
  restore(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await runOrThrow('ip', args);
}

/** Refuses, with what to do, where the machine cannot run a node. */
export async function checkNodePrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the node profile needs root (network namespaces, mounts, cgroups); run the tests as root');
  for (const tool of ['ip', 'iptables-save', 'iptables-restore', 'runc', 'conntrack']) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) throw new Error(`the node profile needs ${tool}: run ./hack/setup.sh`);
  }
  if ((await run('unshare', ['--net', '--mount', 'true'])).code !== 0)
    throw new Error('the node profile needs network and mount namespaces, which this machine refuses');
  if ((await run('ip', ['link', 'show', BRIDGE])).code === 0) {
    throw new Error(
      `the bridge ${BRIDGE} exists: another node profile is running on this machine, or one was killed; remove it with: ip link delete ${BRIDGE}`,
    );
  }
}

export async function setUpNodeNetwork(): Promise<NodeNetwork> {
  const saved = {
    iptables: await runOrThrow('iptables-save', []),
    ip6tables: (await run('ip6tables-save', [])).stdout,
    sysctls: Object.fromEntries(Object.keys(SYSCTLS).map((k) => [k, readFileSync(`/proc/sys/${k}`, 'utf8').trim()])),
  };
  const restore = async (): Promise<void> => {
    await run('ip', ['link', 'delete', BRIDGE]); // takes its addresses and routes with it
    await run('iptables-restore', [], { input: saved.iptables });
    if (saved.ip6tables) await run('ip6tables-restore', [], { input: saved.ip6tables });
    for (const [key, value] of Object.entries(saved.sysctls)) writeFileSync(`/proc/sys/${key}`, value);
  };
  try {
    await ip('link', 'add', BRIDGE, 'type', 'bridge');
    await ip('addr', 'add', `${NODE_IP}/24`, 'dev', BRIDGE);
    await ip('link', 'set', BRIDGE, 'up');
    // The host reaches ClusterIPs through the bridge, never its default route, even before kube-proxy
    // has a rule for one.
    await ip('route', 'add', SERVICE_CIDR, 'dev', BRIDGE);
    for (const [key, value] of Object.entries(SYSCTLS)) writeFileSync(`/proc/sys/${key}`, value);
    // Pods have no default route; this drops anything forwarded from them to anywhere but the bridge.
    await runOrThrow('iptables', ['-I', 'FORWARD', '-s', POD_SUBNET, '!', '-o', BRIDGE, '-j', 'DROP']);
    return { restore };
  } catch (error) {
    await restore();
    throw error;
  }
}

/** The CNI configuration: a bridge with static addresses, routes to the pod subnet and Services only. */
export function cniConfig(ipamDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'perpetual',
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: ipamDir,
            ranges: [[{ subnet: POD_SUBNET, gateway: NODE_IP, rangeStart: '10.244.0.10' }]],
            routes: [{ dst: SERVICE_CIDR }],
          },
        },
      ],
    },
    null,
    2,
  );
}
