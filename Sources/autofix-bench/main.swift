import Foundation

// `autofix-bench [name ...] [--sizes N,N,...] [--repetitions N] [--smoke] [--keep]` runs the named
// benchmarks (all by default) and prints a table per benchmark. Each suite lives in its own file.
// `--smoke` runs the sizeable suites at a tiny size, once, only to prove they still work.
let usage = """
    usage: autofix-bench [snapshot|model|patch|sandbox|loop|onepatch|context|warm|streamed-verdict|candidates|targeted|local-pass ...] [--sizes N,N,...] [--repetitions N] [--smoke] [--keep]
      --sizes        tracked files per generated repository for the snapshot benchmark (default 1000,10000,100000)
      --repetitions  timed runs per method and size, after one warm-up run (default 5)
      --smoke        tiny sizes and one repetition: checks that the benchmarks still work, measures nothing
      --keep         leave the generated repositories in the temp dir and print their paths
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("autofix-bench: \(message)\n\(usage)\n".utf8))
    exit(2)
}

var snapshotOptions = SnapshotBench.Options()
var requested: [String] = []
var smoke = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--sizes":
        guard let value = arguments.popFirst() else { fail("--sizes needs a value, e.g. --sizes 1000,10000") }
        let sizes = value.split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty, sizes.count == value.split(separator: ",").count, sizes.allSatisfy({ $0 >= 10 }) else {
            fail("--sizes takes comma-separated file counts of at least 10, not `\(value)`")
        }
        snapshotOptions.sizes = sizes
    case "--repetitions":
        guard let value = arguments.popFirst(), let count = Int(value), count >= 1 else {
            fail("--repetitions takes a whole number of at least 1")
        }
        snapshotOptions.repetitions = count
    case "--smoke":
        snapshotOptions.sizes = [200]
        snapshotOptions.repetitions = 1
        smoke = true
    case "--keep":
        snapshotOptions.keepRepositories = true
    case "-h", "--help":
        print(usage)
        exit(0)
    default:
        if argument.hasPrefix("-") { fail("unknown option \(argument)") }
        requested.append(argument)
    }
}

let suites: [(name: String, run: () throws -> Void)] = [
    ("snapshot", { try SnapshotBench.run(snapshotOptions) }),
    ("model", { try ModelBench.run(smoke: smoke) }),
    ("patch", { try PatchBench.run(smoke: smoke) }),
    ("sandbox", { try SandboxBench.run(smoke: smoke) }),
    ("loop", LoopBench.run),
    ("onepatch", { try OnePatchBench.run(smoke: smoke) }),
    ("context", { try ContextBench.run(smoke: smoke) }),
    ("warm", { try WarmBench.run(smoke: smoke) }),
    ("streamed-verdict", { try StreamedVerdictBench.run(smoke: smoke) }),
    ("candidates", { try CandidateBench.run(smoke: smoke) }),
    ("targeted", { try TargetedBench.run(smoke: smoke) }),
    ("local-pass", LocalModelPassAtN.runFromEnvironment),
]

let unknown = Set(requested).subtracting(suites.map(\.name))
if !unknown.isEmpty {
    fail("unknown benchmark(s): \(unknown.sorted().joined(separator: ", ")); known: \(suites.map(\.name).joined(separator: ", "))")
}
for suite in suites where requested.isEmpty || requested.contains(suite.name) {
    print("== \(suite.name)")
    do { try suite.run() } catch { print("\(suite.name) failed: \(error)"); exit(1) }
}
