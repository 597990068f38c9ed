import { describe, expect, it } from 'vitest';
import { driftedFiles, renderCrdFiles } from './gen-crds.ts';

describe('generated CRDs', () => {
  it('match the TypeScript source (run `npm run generate` after changing operator/api)', () => {
    expect(driftedFiles(renderCrdFiles())).toEqual([]);
  });

  it("include the chart's CRD templates, behind crds.install and kept on uninstall when crds.keep", () => {
    const templates = [...renderCrdFiles()].filter(([path]) => path.includes('/charts/perpetual/templates/crds/'));
    expect(templates).toHaveLength(2);
    for (const [, body] of templates) {
      expect(body).toContain('{{- if .Values.crds.install }}');
      expect(body).toContain('helm.sh/resource-policy: keep');
    }
  });

  it('detects drift in a file', () => {
    const files = renderCrdFiles();
    const [first] = files.keys();
    files.set(first!, `${files.get(first!) ?? ''}# edited by hand\n`);
    expect(driftedFiles(files)).toHaveLength(1);
  });
});
