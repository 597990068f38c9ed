// Certificates and keys for the test control plane, made with the openssl CLI:
// a CA, a serving certificate for 127.0.0.1/localhost, and the service-account signing key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOrThrow } from './processes.ts';

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
  /** What the API server presents to a kubelet (logs, exec, port-forward). */
  kubeletClientCert: string;
  kubeletClientKey: string;
}

/** `serverIps`: addresses the API server is reached at besides 127.0.0.1 (the node's, the Service's). */
export async function createPki(dir: string, serverIps: string[] = []): Promise<Pki> {
  const p = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<string> => runOrThrow('openssl', args);
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '7',
    '-subj',
    '/CN=perpetual-test-ca',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
  );
  await openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver',
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
  );
  // The SAN must name the loopback address clients dial.
  const ips = [...new Set(['127.0.0.1', ...serverIps])].map((ip) => `IP:${ip}`).join(',');
  writeFileSync(p('server.ext'), `subjectAltName=${ips},DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n`);
  await openssl(
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '7',
    '-out',
    p('server.crt'),
    '-extfile',
    p('server.ext'),
  );
  await openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
    '-keyout',
    p('kubelet-client.key'),
    '-out',
    p('kubelet-client.csr'),
  );
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    p('kubelet-client.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '7',
    '-out',
    p('kubelet-client.crt'),
    '-extfile',
    p('client.ext'),
  );
  await openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('sa.key'));
  await openssl('pkey', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub'));
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPublicKey: p('sa.pub'),
    kubeletClientCert: p('kubelet-client.crt'),
    kubeletClientKey: p('kubelet-client.key'),
  };
}
