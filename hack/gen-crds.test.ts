import { describe, expect, it } from 'vitest';
import { driftedFiles, renderCrdFiles } from './gen-crds.ts';

describe('generated CRDs', () => {
  it('match the TypeScript source (run `npm run generate` after changing operator/api)', () => {
    expect(driftedFiles(renderCrdFiles())).toEqual([]);
  });

  it('detects drift in a file', () => {
    const files = renderCrdFiles();
    const [first] = files.keys();
    files.set(first!, `${files.get(first!) ?? ''}# edited by hand\n`);
    expect(driftedFiles(files)).toHaveLength(1);
  });
});
