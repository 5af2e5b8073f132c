import AutofixBenchSupport
import AutofixCore
import AutofixGit
import Foundation

/// Snapshot cost against the git CLI doing the same work without touching the real index:
/// `cp -p .git/index $tmp && GIT_INDEX_FILE=$tmp git add -A && git write-tree && git commit-tree`.
/// Each size gets its own generated repository; every method is checked to record the same tree.
enum SnapshotBench {
    struct Options {
        var sizes = [1_000, 10_000, 100_000]
        var repetitions = 5
        /// Leave the generated repositories on disk (and print where), e.g. to profile against.
        var keepRepositories = false
    }

    /// One size's timings (one per repetition) and peak memory (KiB).
    struct SizeResult {
        let files: Int
        let gitCLIRuns: [Timing]
        let libraryRuns: [Timing]
        let processRuns: [Timing]
        var gitCLI: Double { Statistics.median(gitCLIRuns.map(\.seconds)) }
        var library: Double { Statistics.median(libraryRuns.map(\.seconds)) }
        var process: Double { Statistics.median(processRuns.map(\.seconds)) }
        /// The largest peak among the git CLI's steps (git add -A in practice).
        let gitPeakRSS: Int?
        let processPeakRSS: Int?
    }

    static func run(_ options: Options) throws {
        Hermetic.applyToCurrentProcess()
        let environment = Hermetic.environment
        let autofix = try BuiltAutofix.url()
        MachineDescription.announce(.code)
        print("repetitions: \(options.repetitions) per method and size, after one checked warm-up run of each;"
            + " the edited and untracked files get new contents before every run")

        var results: [SizeResult] = []
        for size in options.sizes {
            let (repository, buildSeconds) = try BenchClock.measure {
                try SyntheticRepository(trackedFiles: size, environment: environment, keep: options.keepRepositories)
            }
            let shape = repository.shape
            if options.keepRepositories { print("kept: \(repository.url.path)") }
            print("\(Format.count(size)) files: generated in \(Format.seconds(buildSeconds)) "
                + "(\(shape.modifiedCount) modified, \(shape.deletedCount) deleted, \(shape.untrackedCount) untracked, "
                + "\(shape.ignoredBuildFiles) ignored in build/)")
            let methods = SnapshotMethods(repository: repository, autofix: autofix, environment: environment)
            try methods.verifyAgreement()
            results.append(try measure(methods, files: size, repetitions: options.repetitions))
        }
        for (title, table) in tables(results) {
            print()
            print(title + ":")
            print(table.render())
        }
        if results.contains(where: { $0.processPeakRSS == nil }) {
            print("peak memory needs GNU time at /usr/bin/time (Debian: apt-get install time)")
        }
        if let first = results.first, let last = results.last, results.count > 1 {
            print()
            print("cost growth \(Format.count(first.files)) → \(Format.count(last.files)) files "
                + "(\(last.files / max(1, first.files))× the files): "
                + "git CLI \(Format.ratio(last.gitCLI / first.gitCLI)), "
                + "library \(Format.ratio(last.library / first.library)), "
                + "git autofix snapshot \(Format.ratio(last.process / first.process))")
        }
    }

    private static func measure(_ methods: SnapshotMethods, files: Int, repetitions: Int) throws -> SizeResult {
        var git: [Timing] = [], library: [Timing] = [], process: [Timing] = []
        // Rotating the order keeps any drift (page cache, other load) from favouring one method.
        let runs: [() throws -> Void] = [
            { git.append(try methods.gitCLI().timing) },
            { library.append(try methods.library().timing) },
            { process.append(try methods.process().timing) },
        ]
        var generation = 0
        for repetition in 0..<repetitions {
            for offset in runs.indices {
                // New edits before every run: each method pays for hashing and storing new
                // blobs and trees, as the first snapshot of real work does.
                generation += 1
                try methods.repository.editAgain(generation: generation)
                try runs[(repetition + offset) % runs.count]()
            }
        }
        return SizeResult(files: files, gitCLIRuns: git, libraryRuns: library, processRuns: process, gitPeakRSS: try methods.gitCLIPeakMemory(),
                          processPeakRSS: try methods.processPeakMemory())
    }

    /// Wall time as median (best), since on a shared machine the best run is the one least
    /// disturbed by other load; then CPU time, which that load disturbs far less; then memory.
    private static func tables(_ results: [SizeResult]) -> [(title: String, table: BenchTable)] {
        let methods = ["git CLI", "library", "library / git", "git autofix snapshot", "process / git"]
        var wall = BenchTable(["files"] + methods)
        var cpu = BenchTable(["files"] + methods)
        var memory = BenchTable(["files", "peak RSS git CLI", "peak RSS git autofix snapshot"])
        func row(_ result: SizeResult, _ measure: (Timing) -> Double, withBest: Bool) -> [String] {
            func time(_ runs: [Timing]) -> String {
                let median = Format.seconds(Statistics.median(runs.map(measure)))
                return withBest ? "\(median) (\(Format.seconds(runs.map(measure).min() ?? .nan)))" : median
            }
            func ratio(_ runs: [Timing]) -> String {
                let baseline = result.gitCLIRuns.map(measure)
                let median = Format.ratio(Statistics.median(runs.map(measure)) / Statistics.median(baseline))
                let best = Format.ratio((runs.map(measure).min() ?? .nan) / (baseline.min() ?? .nan))
                return withBest ? "\(median) (\(best))" : median
            }
            return [
                Format.count(result.files), time(result.gitCLIRuns), time(result.libraryRuns), ratio(result.libraryRuns),
                time(result.processRuns), ratio(result.processRuns),
            ]
        }
        for result in results {
            wall.add(row(result, \.seconds, withBest: true))
            cpu.add(row(result, \.cpuSeconds, withBest: false))
            memory.add([Format.count(result.files), Format.mebibytes(kibibytes: result.gitPeakRSS),
                        Format.mebibytes(kibibytes: result.processPeakRSS)])
        }
        return [
            ("wall time, median (best)", wall),
            ("CPU time (user + system, all threads and processes), median", cpu),
            ("peak memory (resident set)", memory),
        ]
    }
}

struct Timing {
    let seconds: Double
    let cpuSeconds: Double
}

/// The three ways of taking one snapshot that the benchmark compares.
struct SnapshotMethods {
    let repository: SyntheticRepository
    let autofix: URL
    let environment: [String: String]

    struct Timed {
        let tree: String
        let timing: Timing
    }

    /// The git CLI recipe, on a private copy of the index so the real one is never written.
    func gitCLI() throws -> Timed {
        let scratch = try TemporaryDirectory(prefix: "autofix-bench-index")
        var seconds = 0.0, cpuSeconds = 0.0
        var tree = ""
        for step in gitCLISteps(index: scratch.file("index").path) {
            let result = try step(tree).check()
            seconds += result.seconds
            cpuSeconds += result.cpuSeconds
            if tree.isEmpty { tree = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        return Timed(tree: tree, timing: Timing(seconds: seconds, cpuSeconds: cpuSeconds))
    }

    /// The largest peak memory among the git CLI's steps, in KiB.
    func gitCLIPeakMemory() throws -> Int? {
        let scratch = try TemporaryDirectory(prefix: "autofix-bench-index")
        var tree = ""
        var peak: Int?
        for step in gitCLISteps(index: scratch.file("index").path) {
            let (result, kibibytes) = try step(tree).checkMeasuringPeakMemory()
            guard let kibibytes else { return nil }
            peak = max(peak ?? 0, kibibytes)
            if tree.isEmpty { tree = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        return peak
    }

    /// cp, add, write-tree, commit-tree; each step gets the tree written so far ("" before).
    private func gitCLISteps(index: String) -> [(String) -> BenchProcess] {
        var privateIndex = environment
        privateIndex["GIT_INDEX_FILE"] = index
        let directory = repository.url
        return [
            { _ in BenchProcess(arguments: ["cp", "-p", directory.appendingPathComponent(".git/index").path, index],
                                directory: directory, environment: environment) },
            { _ in BenchProcess(arguments: ["git", "add", "-A"], directory: directory, environment: privateIndex) },
            { _ in BenchProcess(arguments: ["git", "write-tree"], directory: directory, environment: privateIndex) },
            { tree in BenchProcess(arguments: ["git", "commit-tree", tree, "-p", "HEAD", "-m", "snapshot"],
                                   directory: directory, environment: environment) },
        ]
    }

    /// The library call, in this process: open the repository and snapshot it.
    func library() throws -> (snapshot: Snapshot, timing: Timing) {
        let cpuBefore = CPUTime.ofThisProcess()
        let (snapshot, seconds) = try BenchClock.measure { () throws -> Snapshot in
            let opened = try Repository.discover(from: repository.url)
            return try Snapshotter(repository: opened).snapshot()
        }
        return (snapshot, Timing(seconds: seconds, cpuSeconds: CPUTime.ofThisProcess() - cpuBefore))
    }

    /// The whole `git autofix snapshot` process, as a user runs it.
    func process() throws -> Timed {
        let result = try autofixProcess.check()
        struct Output: Decodable { let commit: String }
        let commit = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8)).commit
        let tree = try repository.git("rev-parse", "\(commit)^{tree}").trimmingCharacters(in: .whitespacesAndNewlines)
        return Timed(tree: tree, timing: Timing(seconds: result.seconds, cpuSeconds: result.cpuSeconds))
    }

    func processPeakMemory() throws -> Int? { try autofixProcess.checkMeasuringPeakMemory().peakKiB }

    private var autofixProcess: BenchProcess {
        BenchProcess(arguments: [autofix.path, "snapshot", "--json"], directory: repository.url, environment: environment)
    }

    /// Fails the benchmark unless all three methods record the same tree and the library saw
    /// exactly the local changes the generator made: a fast wrong snapshot is worth nothing.
    func verifyAgreement() throws {
        let git = try gitCLI()
        let (snapshot, _) = try library()
        let libraryTree = try repository.git("rev-parse", "\(snapshot.commit.hex)^{tree}")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let processTree = try process().tree
        guard git.tree == libraryTree, git.tree == processTree else {
            throw BenchError("the snapshots disagree: git CLI \(git.tree), library \(libraryTree), git autofix snapshot \(processTree) in \(repository.url.path)")
        }
        let shape = repository.shape
        let capture = snapshot.capture
        let seen = (capture.modified.count, capture.deleted.count, capture.added.count)
        let made = (shape.modifiedCount, shape.deletedCount, shape.untrackedCount)
        guard seen == made else {
            throw BenchError("the library saw \(seen.0) modified, \(seen.1) deleted, \(seen.2) untracked files; the generator made \(made.0), \(made.1), \(made.2)")
        }
        print("  trees agree: \(git.tree) (git CLI, library and git autofix snapshot)")
    }
}
