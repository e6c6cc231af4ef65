/**
 * The layering of src/ (docs/ARCHITECTURE.md): a folder may import only the folders listed after it,
 * so imports run one way, down the data flow, and no two folders can import each other.
 * `npm run lint:deps` checks it (and .ci/run runs it).
 */
const LAYERS = [
  'cli',
  'server',
  'lambda',
  'infra',
  'web',
  'gateway',
  'runtime',
  'warm',
  'metrics',
  'tracing',
  'http',
  'runner',
  'mcp',
  'sandbox',
  'limits',
  'uploads',
  'codebase',
  'artifacts',
  'durable',
  'state',
  'webhooks',
  'sessions',
  'keys',
  'usage',
  'events',
  'workspace',
  'store',
  'broker',
  'config',
  'egress',
  'schemas',
  'errors',
  'logging',
];

const folder = (name) => `^src/${name}/`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules must not import each other, directly or through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'known-folders',
      comment: 'Every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs); add a new one there.',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${LAYERS.join('|')})/`] },
      to: {},
    },
    ...LAYERS.map((name, i) => ({
      name: `layer-${name}`,
      comment: `${name}/ may import only the folders below it: ${LAYERS.slice(i + 1).join(', ') || 'none'}.`,
      severity: 'error',
      from: { path: folder(name) },
      to: { path: '^src/', pathNot: [folder(name), ...LAYERS.slice(i + 1).map(folder)] },
    })),
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
