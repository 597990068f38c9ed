// The operator ships as one bundled, minified file: the image then needs no node_modules, and the
// process holds one small module instead of every file of client-node's generated API (its
// sources alone were 23 MB of the heap; the operator's RSS at 1000 PerpetualDeployments drops by
// about 20 MB). Built by `npm run build`; the image's entry point.
import { defineConfig, type Plugin } from 'rolldown';

export const OPERATOR_BUNDLE = 'dist/perpetual-operator.js';

/**
 * V8 keeps a script's source for as long as the process runs, and a single non-ASCII character
 * makes it store the whole 2.4 MB source two bytes per character. The minifier escapes them in
 * code (asciiOnly); this escapes what is left, in the license comments it keeps verbatim.
 */
const asciiLegalComments: Plugin = {
  name: 'ascii-legal-comments',
  renderChunk: (code) => code.replace(/\/\*![\s\S]*?\*\//g, (comment) =>
    comment.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)),
};

export default defineConfig({
  input: 'operator/main.ts',
  platform: 'node',
  plugins: [asciiLegalComments],
  output: { file: OPERATOR_BUNDLE, format: 'esm', minify: { compress: true, mangle: true, codegen: { asciiOnly: true } }, sourcemap: true },
});
