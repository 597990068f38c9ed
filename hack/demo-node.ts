// The main job on a real node (hack/demo.ts picks it wherever the machine can run one): the
// operator installed from config/default as pods from the image built here, the local-mode sample
// and its ModelServer with every child running for real, and a chat from this machine through the
// gateway's Service (kube-proxy) that scales the model from zero and is answered with memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNode, type Node } from '../test/harness/node.ts';
import { NODE_IP, POD_SUBNET } from '../test/harness/node-network.ts';
import { startPostgres, type Postgres } from '../test/harness/postgres.ts';
import { REPO_ROOT } from '../test/harness/processes.ts';
import { imageReferences, operatorManifests, withNodeImages } from '../test/support/node-stack.ts';
import { startQdrantEmulator, type QdrantEmulator } from '../test/stubs/qdrant-emulator.ts';
import { generateFernetKey } from '../gateway/crypto/fernet.ts';
import { chatWithMemory, kubectlText, secretValue, show } from './demo-gateway.ts';

const SAMPLES = ['perpetual_v1alpha1_perpetualdeployment_local.yaml', 'perpetual_v1alpha1_modelserver.yaml'];
const LOCAL = { pd: 'perpetual-local', modelServer: 'mistral-7b', servedModel: 'mistral-7b-instruct', namespace: 'default' };

async function installOperator(node: Node): Promise<void> {
  await kubectlText(node, ['apply', '--server-side', '-f', '-'], await operatorManifests(node, imageReferences(node.images)));
  console.log('\n$ kubectl apply --server-side -k config/default    # with the images built here');
  await kubectlText(node, ['rollout', 'status', 'deployment/perpetual-operator', '-n', 'perpetual-system', '--timeout=180s']);
  await show(node, 'the operator, running as two pods from its image', ['get', 'pods', '-n', 'perpetual-system', '-o', 'wide']);
}

async function applySamples(node: Node, postgres: Postgres, qdrant: QdrantEmulator | undefined): Promise<void> {
  // The samples refer to these Secrets: the database (here, PostgreSQL on the node's bridge) and a fresh Fernet key.
  await kubectlText(node, ['create', 'secret', 'generic', 'perpetual-db-app', `--from-literal=uri=${postgres.url}`]);
  await kubectlText(node, [
    'create',
    'secret',
    'generic',
    'perpetual-encryption',
    `--from-literal=API_KEY_ENCRYPTION_KEY=${generateFernetKey()}`,
  ]);
  const samples = SAMPLES.map((f) => readFileSync(join(REPO_ROOT, 'config/samples', f), 'utf8')).join('---\n');
  const images = imageReferences(node.images);
  console.log(
    `\n$ kubectl apply -f config/samples/{${SAMPLES.join(',')}}    # images: the vLLM stand-in, Redis${images.qdrant ? ' and Qdrant' : ''} built here\n${await kubectlText(node, ['apply', '-f', '-'], withNodeImages(samples, images, qdrant?.url))}`,
  );
}

async function requestPath(node: Node): Promise<void> {
  const service = JSON.parse(await kubectlText(node, ['get', 'service', `${LOCAL.pd}-gateway`, '-o', 'json'])) as {
    spec: { clusterIP: string; ports: { port: number }[] };
  };
  const url = `http://${service.spec.clusterIP}:${String(service.spec.ports[0]?.port ?? 80)}`;
  console.log(`\n--- The request path, from this machine through kube-proxy to ${url} (Service ${LOCAL.pd}-gateway) ---`);
  await show(node, 'the ModelServer before the first request (scaled to zero)', ['get', 'ms', LOCAL.modelServer]);
  await chatWithMemory({ url }, await secretValue(node, `${LOCAL.pd}-admin-token`, 'token', LOCAL.namespace), LOCAL.servedModel);
  await show(node, 'after the gateway scaled it from zero: a real vLLM stand-in pod', ['get', 'ms,pods', '-o', 'wide']);
  await show(node, 'what it says about its last scale', ['get', 'ms', LOCAL.modelServer, '-o', 'jsonpath={.status.lastScale}']);
}

export async function runOnNode(keep: boolean): Promise<void> {
  console.log(
    'Starting a local control plane and a real node (kubelet, containerd, runc, kube-proxy, CoreDNS) on a private bridge, with images built from this repository...',
  );
  const node = await startNode();
  let postgres: Postgres | undefined;
  let qdrant: QdrantEmulator | undefined;
  try {
    console.log(`Node ready in ${String(node.nodeStartupMs)} ms; API server at ${node.server}`);
    console.log([...node.images.values()].map((i) => `  ${i.reference}  ${(i.bytes / 1e6).toFixed(0)} MB`).join('\n'));
    await show(node, 'one real node, GPUs from a device plugin', [
      'get',
      'nodes',
      '-o',
      'custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,IP:.status.addresses[0].address,RUNTIME:.status.nodeInfo.containerRuntimeVersion,GPUS:.status.allocatable.nvidia\\.com/gpu',
    ]);
    postgres = await startPostgres({ host: NODE_IP, clients: POD_SUBNET });
    if (!node.images.has('qdrant')) qdrant = await startQdrantEmulator({ host: NODE_IP });
    await installOperator(node);
    await applySamples(node, postgres, qdrant);
    await kubectlText(node, ['wait', '--for=condition=Ready', `pd/${LOCAL.pd}`, `ms/${LOCAL.modelServer}`, '--timeout=300s']).catch(() => {
      console.log('(not everything became Ready in time; the status says why)');
    });
    await show(node, 'after the operator reconciled them', ['get', 'perpetualdeployments,modelservers', '-o', 'wide']);
    await show(node, 'every child running as a real container', ['get', 'pods,jobs,pvc', '-o', 'wide']);
    await show(node, `conditions of ${LOCAL.pd}`, [
      'get',
      'pd',
      LOCAL.pd,
      '-o',
      'jsonpath={range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.reason}{"\\t"}{.message}{"\\n"}{end}',
    ]);
    await requestPath(node);
    if (keep) {
      console.log(
        `\nEverything keeps running. In another shell:\n  export KUBECONFIG=${node.kubeconfigPath}\n  ${join(REPO_ROOT, '.bin/kubectl')} get perpetual,pods\nPress Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    await qdrant?.close();
    await postgres?.stop();
    await node.stop();
    console.log('\nStopped the node and the control plane; the machine is as it was.');
  }
}
