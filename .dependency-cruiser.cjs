// The shape of src/, checked in CI (npm run lint): no import cycle, type-only imports included;
// a folder imports only folders below it in LAYERS; and (on the graph of what really loads, when
// MESHUP_CRUISE=runtime) the planner reaches no I/O.
/** @type {import('dependency-cruiser').IConfiguration} */

// Lowest first. A folder may import its own modules and those of any folder before it.
const LAYERS = [
  'errors.ts',
  'util',
  'config',
  'kube',
  'exec',
  'tools',
  'providers',
  'ui',
  'istio',
  'gatewayapi',
  'addons',
  'expose',
  'ingress',
  'state',
  'context',
  'observe',
  'preflight',
  'plan',
  'apply',
  'session',
  'commands',
  'cli',
];
const dir = (l) => (l.endsWith('.ts') ? `^src/${l.replace('.', '[.]')}$` : `^src/${l}/`);

const layerRules = LAYERS.map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `${layer} imports only what lies below it: ${LAYERS.slice(0, i).join(', ') || 'nothing'}`,
  severity: 'error',
  from: { path: dir(layer) },
  to: { path: LAYERS.slice(i + 1).map(dir).join('|') || '^$' },
}));

// What does I/O: Node's file, network and process modules, and the packages that do nothing else.
const IO = '^(node:)?(fs|fs/promises|http|https|net|child_process|os|readline|dgram|tls|worker_threads)$|^(execa|tar|open|listr2|@inquirer/prompts)$';

// Type-only imports vanish when compiled: whether the planner can do I/O is a question about what
// it loads, so that rule is checked on the graph without them (a second run, npm run lint).
const runtime = process.env.MESHUP_CRUISE === 'runtime';

const structure = [
    {
      name: 'no-cycles',
      comment: 'Import cycles, type-only ones included, make the order of modules a guess.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
];

const purity = [
    {
      name: 'plan-is-pure',
      comment: 'The planner is a pure function of the spec and the observation: nothing it loads may do I/O.',
      severity: 'error',
      from: { path: '^src/plan/' },
      to: { path: IO, reachable: true },
    },
];

module.exports = {
  forbidden: runtime ? purity : structure,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: !runtime,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
