// The operator and the gateway each ship as one bundled, minified file: the images then need no
// node_modules, and the operator holds one small module instead of every file of client-node's
// generated API (its sources alone were 23 MB of the heap; the operator's RSS at 1000
// PerpetualDeployments drops by about 20 MB). Built by `npm run build`; the images' entry points.
import { defineConfig, type Plugin } from 'rolldown';

export const OPERATOR_BUNDLE = 'dist/perpetual-operator.js';
/** The gateway's SQL migrations are data: they go beside this file, in `migrations/` (migration-files.ts). */
export const GATEWAY_BUNDLE = 'dist/perpetual-gateway.js';

/**
 * V8 keeps a script's source for as long as the process runs, and a single non-ASCII character
 * makes it store the whole 2.4 MB source two bytes per character. The minifier escapes them in
 * code (asciiOnly); this escapes what is left, in the license comments it keeps verbatim.
 */
const asciiLegalComments: Plugin = {
  name: 'ascii-legal-comments',
  // Only comments change, never a line break: the source map stays as good as it was (map: null).
  renderChunk: (code) => ({
    code: code.replace(/\/\*![\s\S]*?\*\//g, (comment) =>
      comment.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    ),
    map: null,
  }),
};

const bundle = (input: string, file: string) =>
  defineConfig({
    input,
    platform: 'node',
    plugins: [asciiLegalComments],
    output: {
      file,
      format: 'esm',
      codeSplitting: false,
      minify: { compress: true, mangle: true, codegen: { asciiOnly: true } },
      sourcemap: true,
    },
  });

export const operatorBundle = bundle('operator/main.ts', OPERATOR_BUNDLE);
export const gatewayBundle = bundle('gateway/main.ts', GATEWAY_BUNDLE);
export default [operatorBundle, gatewayBundle];
