// The helpers the benchmarks share with the tests (hermetic environment, temporary directories,
// the shell, the scripted SSE server) live in AutofixBenchSupport so the bench product builds
// no test code; the tests keep reaching them through their one support import.
@_exported import AutofixBenchSupport
