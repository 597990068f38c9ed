// What the e2e tier and the main job both do on the node profile: install the operator as a
// platform team does (config/default), with the images built here in place of the registry's.
import { parseAllDocuments, stringify } from 'yaml';
import type { BuiltImage } from '../../hack/images.ts';
import type { ControlPlane } from '../harness/control-plane.ts';
import { REPO_ROOT } from '../harness/processes.ts';

/** Image references by name, as the node profile imported them (operator, gateway, redis, ...). */
export type NodeImages = Record<string, string>;

export function imageReferences(images: ReadonlyMap<string, BuiltImage>): NodeImages {
  return Object.fromEntries([...images].map(([name, image]) => [name, image.reference]));
}

interface Container {
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
}

interface Doc {
  kind?: string;
  spec?: {
    template?: { spec?: { containers?: Container[] } };
    engine?: { image?: string; args?: string[] };
    cache?: { managed?: { image?: string } };
    vectorStore?: { type?: string; managed?: { image?: string }; external?: { url: string } };
  };
}

/** config/default rendered by kubectl kustomize, its operator and gateway images replaced by ours. */
export async function operatorManifests(cp: Pick<ControlPlane, 'kubectl'>, images: NodeImages): Promise<string> {
  const rendered = await cp.kubectl(['kustomize', `${REPO_ROOT}/config/default`]);
  if (rendered.code !== 0) throw new Error(`kubectl kustomize config/default: ${rendered.stderr}`);
  const docs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Doc);
  const containers = docs.filter((d) => d.kind === 'Deployment').flatMap((d) => d.spec?.template?.spec?.containers ?? []);
  for (const container of containers) {
    container.image = images.operator;
    for (const env of container.env ?? []) if (env.name === 'GATEWAY_IMAGE') env.value = images.gateway;
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

/** The simulator takes vLLM's flags; a dummy tokenizer keeps it offline whatever the model id. */
export const SIMULATOR_ARGS = ['--force-dummy-tokenizer', '--mode=echo'];

/**
 * Sample manifests made runnable here: a ModelServer runs the vLLM stand-in, a managed Redis and
 * Qdrant run the images built here. Where ../shared/qdrant had no server to pack, the vector store
 * is external: `qdrantUrl`, the emulator on the node's bridge.
 */
export function withNodeImages(manifests: string, images: NodeImages, qdrantUrl?: string): string {
  return parseAllDocuments(manifests)
    .map((d) => {
      const doc = d.toJS() as Doc;
      if (doc.kind === 'ModelServer' && doc.spec)
        doc.spec.engine = { ...doc.spec.engine, image: images['inference-sim'], args: SIMULATOR_ARGS };
      if (doc.kind === 'PerpetualDeployment' && doc.spec) {
        doc.spec.cache = { ...doc.spec.cache, managed: { ...doc.spec.cache?.managed, image: images.redis } };
        if (images.qdrant)
          doc.spec.vectorStore = { ...doc.spec.vectorStore, managed: { ...doc.spec.vectorStore?.managed, image: images.qdrant } };
        else if (qdrantUrl) doc.spec.vectorStore = { type: 'external', external: { url: qdrantUrl } };
      }
      return stringify(doc);
    })
    .join('---\n');
}
