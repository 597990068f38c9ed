// Guardrails from Pepr's config (see shared research): small functions, no floating promises, no `any`.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// gateway-config.ts and tracing.ts are the values the gateway imports: the schema its
// configuration file is validated against, and how the tracing settings the operator writes
// into its environment become a traces URL. They are the contract itself, pure data and one pure
// rule, no operator code. (Regular expressions, not globs: a glob cannot re-include a file below
// an excluded folder.)
const gatewayBoundary = [
  {
    regex: '/operator/api/(?!v1alpha1/(gateway-config|tracing)\\.ts$)',
    allowTypeImports: true,
    message: 'The gateway may import types from operator/api (the contract), never operator code: it runs in another image.',
  },
  { regex: '/operator/(?!api/)', message: 'The gateway may import types from operator/api only: it runs in another image.' },
];

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', '.bin/', 'hack/go/', '**/*.tmp.ts'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // ESLint counts every ?. and ??; Kubernetes objects are optional all the way down.
      complexity: ['error', 15],
      'max-depth': ['error', 3],
      'max-params': ['error', 4],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // client-node's models are classes with data fields only (no methods, no prototype state):
      // building them from object literals and copying them with spread is safe and idiomatic.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-misused-spread': 'off',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  // Module boundaries. The gateway knows the operator only through the API types it is configured
  // with; kube/ is the layer under the controllers; the autoscaler and the controllers talk through
  // scaling-verdicts.ts and the API helpers, not through each other. Tests may cross them.
  {
    files: ['gateway/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: gatewayBoundary }] },
  },
  // The use cases and the protocols know no HTTP server: routes/ and middleware/ bind them to Express.
  {
    files: [
      'gateway/chat/**/*.ts',
      'gateway/responses/**/*.ts',
      'gateway/protocols/**/*.ts',
      'gateway/providers/**/*.ts',
      'gateway/memory/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            ...gatewayBoundary,
            {
              group: ['express', '../routes/**', '../middleware/*', '!../middleware/error-handler.ts', '!../middleware/authenticate.ts'],
              allowTypeImports: false,
              message:
                'This layer knows no HTTP server: take plain inputs and write through a port (chat/responder.ts); routes/ binds it to Express.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['operator/kube/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../controllers/**', '../autoscaler/**'],
              message:
                'kube/ is the layer under the controllers and the autoscaler; move what both need to operator/utils.ts or operator/api.',
            },
            { group: ['../resources/**'], allowTypeImports: true, message: "kube/ may use the builders' types, not their code." },
          ],
        },
      ],
    },
  },
  {
    files: ['operator/autoscaler/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../controllers/**'],
              message:
                'The autoscaler and the controllers meet in operator/scaling-verdicts.ts and operator/api; neither imports the other.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['operator/controllers/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/autoscaler/**'],
              message:
                'The autoscaler and the controllers meet in operator/scaling-verdicts.ts and operator/api; neither imports the other.',
            },
          ],
        },
      ],
    },
  },
);
