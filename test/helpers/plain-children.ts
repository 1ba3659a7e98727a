/**
 * Imported for its effect: child processes of this test process start as plain Node.
 *
 * node-llama-cpp checks its prebuilt llama.cpp binary once per process, in a child it forks with the
 * defaults, which inherit this process's execArgv. Under the test runner that is `--import tsx`, so the
 * child loads tsx as well, which adds about 2 s to the first model load of every test file (measured
 * in docs/testing.md). The child runs plain JavaScript from node_modules and needs no tsx; tsx stays
 * loaded in this process. Nothing in the tests forks or starts workers that would need it.
 */
process.execArgv = process.execArgv.filter(
  (arg, i, all) =>
    arg !== "--import=tsx" &&
    !(arg === "--import" && all[i + 1] === "tsx") &&
    !(arg === "tsx" && all[i - 1] === "--import"),
);
