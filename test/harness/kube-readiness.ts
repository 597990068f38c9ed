// Probes a kube-apiserver endpoint over HTTPS with the test CA and a bearer token.
import { request } from 'node:https';

export async function httpsGetOk(url: string, options: { ca: string; token: string }): Promise<boolean> {
  return new Promise((done) => {
    const req = request(url, { ca: options.ca, headers: { Authorization: `Bearer ${options.token}` }, timeout: 2000 }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => {
      done(false);
    });
    req.on('timeout', () => {
      req.destroy();
    });
    req.end();
  });
}
