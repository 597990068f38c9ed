// The operator ships as one bundled, minified file: the image then needs no node_modules, and the
// process holds one small module instead of every file of client-node's generated API (its
// sources alone were 23 MB of the heap; the operator's RSS at 1000 PerpetualDeployments drops by
// about 20 MB). Built by `npm run build`; the image's entry point.
import { defineConfig } from 'rolldown';

export const OPERATOR_BUNDLE = 'dist/perpetual-operator.js';

export default defineConfig({
  input: 'operator/main.ts',
  platform: 'node',
  output: { file: OPERATOR_BUNDLE, format: 'esm', minify: true, sourcemap: true },
});
