// Import rules for Pulse, checked by `npm run lint` (dependency-cruiser) and by `.ci/run`.
// The layers, from the bottom: core/ (config, domain, errors) → store/ (SQL) → tools/ (pure models) →
// guardrails, agents, workflows, connectors → interfaces/. sim/ and evals/ are the simulator and its
// evaluations: production code (workflows/) does not depend on them.
//
// TypeScript 7 has no JavaScript API, so the .ts files are parsed with swc (`parser: "swc"` below);
// the `.js` specifiers of our ESM imports resolve to the `.ts` files through tsconfig.json.

/** Test files and test support: they may reach across layers (a test drives the simulator, say). */
const TESTS = "(^|/)[^/]+\\.(test|int\\.test|property\\.test|bench)\\.ts$";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles among production files (tests aside).",
      from: { pathNot: TESTS },
      to: { circular: true, viaOnly: { pathNot: TESTS } },
    },
    {
      name: "core-imports-no-pulse-folder",
      severity: "error",
      comment: "core/ is the bottom layer: it imports only core/ and node/npm modules.",
      from: { path: "^core/" },
      to: { path: "^(?!core/)[^/]+/", dependencyTypesNot: ["npm", "npm-dev", "npm-optional", "npm-peer", "core"] },
    },
    {
      name: "store-imports-only-core",
      severity: "error",
      comment:
        "store/ (all the SQL) imports only core/ and node/npm modules. Exempt: store's own tests, which " +
        "load data through ingest/ and check workflows' readers against the repos. (store/test-db.ts is not exempt.)",
      from: { path: "^store/", pathNot: TESTS },
      to: { path: "^(?!core/|store/)[^/]+/", dependencyTypesNot: ["npm", "npm-dev", "npm-optional", "npm-peer", "core"] },
    },
    {
      name: "tools-import-no-store",
      severity: "error",
      comment: "tools/ are pure functions over data: they never reach the database.",
      from: { path: "^tools/", pathNot: TESTS },
      to: { path: "^store/" },
    },
    {
      name: "workflows-import-no-sim-or-evals",
      severity: "error",
      comment:
        "Production workflows do not depend on the simulator or the evaluations. Exempt, because driving " +
        "the simulated world is what they are for: tests, workflows/**/testing/** (the simulated world and the scripted LLM the tests and the " +
        "demo run against), workflows/chaos/** (the chaos suite, `npm run chaos`: a test harness; kill-run.ts " +
        "draws its seeded kill times from sim/rng.ts) and workflows/demo.ts (`pulse demo` runs a cycle on a simulated world).",
      from: { path: "^workflows/", pathNot: [TESTS, "^workflows/.+/testing/", "^workflows/chaos/", "^workflows/demo\\.ts$"] },
      to: { path: "^(sim|evals)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|coverage|\\.pulse)/" },
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
