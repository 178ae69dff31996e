/**
 * Module boundaries, checked by `npm run check:boundaries` (dependency-cruiser) in CI.
 * The rules and their reasons: docs/architecture.md, "Module boundaries".
 */
/** What a module may be imported through: its Nest module, its root-level services, its contracts. */
const PUBLIC_ENTRY = '^src/modules/[^/]+/([^/]+\\.module\\.ts|[^/]+\\.service\\.ts|contracts/.+)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'platform-not-to-modules',
      comment: 'platform/ is infrastructure without business rules: it never depends on a business module.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'platform-not-through-composition-root',
      comment:
        'Nor through the files that compose the app (src/*.ts: app.module, config, schema), which name every module: ' +
        "platform code reaching them would read the modules' slices, codes or tables. The names a file writes are " +
        'beyond dependency-cruiser: src/platform-knows-no-module.spec.ts checks those.',
      severity: 'error',
      from: { path: '^src/platform/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^src/modules/', reachable: true },
    },
    {
      name: 'module-through-public-entry',
      comment:
        "A module uses another only through that module's public entry: its *.module.ts, its root-level " +
        '*.service.ts (the exported services) and its contracts/ (event contracts). Never its entities, ' +
        'repositories, DTOs or internals.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', PUBLIC_ENTRY] },
    },
    {
      name: 'data-access-through-repositories',
      comment:
        'One way to the database: only repositories (*.repository.ts) run statements, through Sql, with rows ' +
        "mapped by their entity's Table. Services and everything else, in modules and in platform, call repository " +
        "methods and never see SQL, a query builder, TypeORM's repositories or the transaction's entity manager. " +
        '(Entities declare the tables with TypeORM decorators; *.module.ts registers them; migrations/ create and ' +
        'change them; platform/database/ is the mechanism itself.)',
      severity: 'error',
      from: {
        path: '^src/(modules|platform)/',
        pathNot: [
          '^src/platform/database/',
          '\\.repository\\.ts$',
          '/entities/',
          '\\.entity\\.ts$',
          '/migrations/',
          '\\.module\\.ts$',
          '\\.spec\\.ts$',
        ],
      },
      to: {
        path: ['^src/platform/database/(sql|sql-dialect|table)\\.ts$', '^node_modules/(typeorm|@nestjs/typeorm|@nestjs-cls/transactional)'],
      },
    },
    {
      name: 'tooling-one-way',
      comment:
        'test/, bench/ and scripts/ never import each other: what more than one of them needs lives in support/, ' +
        'which imports none of them (docs/architecture.md, "Tooling layout").',
      severity: 'error',
      from: { path: '^(test|bench|scripts)/' },
      to: { path: '^(test|bench|scripts)/', pathNot: '^$1/' },
    },
    {
      name: 'support-to-no-tool',
      comment: 'support/ is what the tools share: it depends on src/ and packages, never on a tool that uses it.',
      severity: 'error',
      from: { path: '^support/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'src-to-no-tooling',
      comment: 'The app never depends on its tests, benchmarks, scripts or their support.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(support|test|bench|scripts)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two files (or modules) one unit that cannot be understood or changed alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-dev-dependencies',
      comment: 'Production code must not need a package that `npm prune --omit=dev` removes from the image.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'An import that resolves to nothing fails at run time. Except the built app (dist/), which a tool ' +
        'preloaded into `node dist/main.js` requires and a fresh checkout has not built yet.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^(\\.\\./)+dist/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a module that names another's entity type is coupled to it too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
