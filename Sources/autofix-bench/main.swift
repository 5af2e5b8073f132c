import Foundation

// `swift run -c release autofix-bench [name ...]` runs the named benchmarks (all by default) and
// prints a table per benchmark. Each suite lives in its own file.
let suites: [(name: String, run: () throws -> Void)] = [
    ("snapshot", SnapshotBench.run),
    ("model", ModelBench.run),
    ("patch", PatchBench.run),
    ("sandbox", SandboxBench.run),
    ("loop", LoopBench.run),
]

let requested = Set(CommandLine.arguments.dropFirst())
let unknown = requested.subtracting(suites.map(\.name))
if !unknown.isEmpty {
    FileHandle.standardError.write(Data("unknown benchmark(s): \(unknown.sorted().joined(separator: ", ")); known: \(suites.map(\.name).joined(separator: ", "))\n".utf8))
    exit(2)
}
for suite in suites where requested.isEmpty || requested.contains(suite.name) {
    print("== \(suite.name)")
    do { try suite.run() } catch { print("\(suite.name) failed: \(error)"); exit(1) }
}
