// Volumes for the cluster profile. No provisioner runs here, so we pre-create a pool of
// PersistentVolumes under a default StorageClass; kube-controller-manager binds claims to them
// as on a real cluster. Nothing is ever mounted (kwok runs no containers).
import type { V1PersistentVolume, V1StorageClass } from '@kubernetes/client-node';

export const STORAGE_CLASS = 'standard';

export function fakeStorageClass(): V1StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
  };
}

/** `pathOf`: where volume i lives on the host; the node profile's are real directories. */
export function fakeVolumes(
  count = 24,
  size = '500Gi',
  pathOf = (i: number): string => `/nonexistent/fake-pv-${String(i)}`,
): V1PersistentVolume[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `fake-pv-${String(i).padStart(2, '0')}` },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany'],
      storageClassName: STORAGE_CLASS,
      persistentVolumeReclaimPolicy: 'Delete',
      hostPath: { path: pathOf(i) },
    },
  }));
}
