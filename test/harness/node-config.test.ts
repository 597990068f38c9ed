// The node's configuration files carry the switches this machine kind needs and the guarantees the
// harness makes: nothing resolved or routed outside the cluster, images kept, no registry dialled.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cniConfig, NODE_IP, POD_SUBNET } from './node-network.ts';
import { containerdConfig, corefile, kubeletConfig, kubeProxyConfig } from './node.ts';
import { SERVICE_CIDR } from './control-plane.ts';

const paths = {
  dir: '/run/x',
  containerd: '/run/x/containerd',
  socket: '/run/x/containerd/containerd.sock',
  kubelet: '/run/x/kubelet',
  cni: '/run/x/cni',
};

describe('node configuration', () => {
  it('gives pods routes to their subnet and the Services only: no default route, no masquerade', () => {
    const bridge = (JSON.parse(cniConfig('/ipam')) as { plugins: Record<string, unknown>[] }).plugins[0];
    expect(bridge).toMatchObject({ type: 'bridge', isDefaultGateway: false, ipMasq: false });
    const ipam = bridge?.ipam as { routes: { dst: string }[]; ranges: { subnet: string; gateway: string }[][] };
    expect(ipam.routes).toEqual([{ dst: SERVICE_CIDR }]);
    expect(ipam.ranges[0]?.[0]).toMatchObject({ subnet: POD_SUBNET, gateway: NODE_IP });
  });

  it('runs the kubelet on cgroup v1 without systemd, with no host resolver, cluster DNS on the bridge and image GC off', () => {
    const kubelet = parse(kubeletConfig('/run/x', paths, 1234)) as Record<string, unknown>;
    expect(kubelet).toMatchObject({
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      failSwapOn: false,
      resolvConf: '',
      clusterDNS: [NODE_IP],
      imageGCHighThresholdPercent: 100,
      address: NODE_IP,
      readOnlyPort: 0,
      authentication: { anonymous: { enabled: false } },
      containerRuntimeEndpoint: `unix://${paths.socket}`,
    });
  });

  it('tells containerd to spare oom_score_adj, pin our pause image and send every pull to a closed loopback port', () => {
    const config = containerdConfig(paths, 'perpetual.local/pause:1');
    expect(config).toContain('restrict_oom_score_adj = true');
    expect(config).toContain("sandbox = 'perpetual.local/pause:1'");
    expect(config).toContain(`config_path = '${paths.containerd}/hosts'`);
    expect(config).toContain('disable_tcp_service = true');
    // Everything containerd writes stays under the run's directory (but its shims' sockets).
    expect(config).not.toMatch(/'\/(var|opt|etc)\//);
  });

  it('leaves the machine conntrack sysctls alone and serves node ports only on the bridge', () => {
    expect(parse(kubeProxyConfig('/run/x', { healthz: 1, metrics: 2 }))).toMatchObject({
      mode: 'iptables',
      clusterCIDR: POD_SUBNET,
      nodePortAddresses: [`${NODE_IP}/32`],
      conntrack: { maxPerCore: 0, min: 0 },
    });
  });

  it('answers cluster names only, never forwarding to the machine resolver', () => {
    const file = corefile('/run/x');
    expect(file).toContain('kubernetes cluster.local in-addr.arpa');
    expect(file).not.toMatch(/forward|proxy|resolv\.conf/);
    expect([...file.matchAll(/bind (\S+)/g)].map((m) => m[1])).toEqual([NODE_IP, NODE_IP]);
  });
});
