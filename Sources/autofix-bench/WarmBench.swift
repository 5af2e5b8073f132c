import AutofixBenchSupport
import AutofixSupport
import Foundation

/// The baseline test run of a first and a second `git autofix` run on one project, against the
/// same test command run warm in the user's own tree (built once, then timed). A Swift package
/// that depends on swift-algorithms (and so swift-numerics), and a cargo
/// crate without dependencies. The tests pass, so each run ends after its baseline. Then the
/// timelines (WarmTimeline.swift): the Swift package and a Python project with a slow suite.
enum WarmBench {
    struct Project {
        let name: String
        let testCommand: String
        /// Why it cannot be measured here (a tool or mirror missing), else nil.
        let missing: () -> String?
        /// Builds the project in `directory` (files, then the user's own first build).
        let make: (URL, [String: String]) throws -> Void
    }

    /// A directory of local clones (`swift-algorithms.git`, `swift-numerics.git`) that SwiftPM's
    /// mirror setting points the package's URLs at, for a machine without network; without it
    /// the URLs resolve as they do for the user (network, or git's `url.<base>.insteadOf`).
    static let mirror = ProcessInfo.processInfo.environment["AUTOFIX_BENCH_SWIFTPM_MIRRORS"]

    static func run(smoke: Bool) throws {
        let autofix = try BuiltAutofix.url()
        print("project           user warm  run 1 baseline  run 2 baseline  run 2 / user  goal (3x user + 2 s)")
        // The smoke run takes the crate alone: it builds in seconds.
        for project in smoke ? [cargoCrate] : [swiftPackage, cargoCrate] {
            if let missing = project.missing() {
                print("\(project.name): skipped (\(missing))")
                continue
            }
            let home = try TemporaryDirectory(prefix: "autofix-bench-warm-home")
            let directory = try TemporaryDirectory(prefix: "autofix-bench-warm-\(project.name)")
            let environment = environment(home: home)
            try project.make(directory.url, environment)
            try commit(directory.url, environment)

            let words = ["/bin/sh", "-c", project.testCommand]
            try BenchProcess(arguments: words, directory: directory.url, environment: environment).check()
            let user = try BenchProcess(arguments: words, directory: directory.url, environment: environment).check().seconds

            let first = try baseline(autofix, project, in: directory.url, environment)
            let second = try baseline(autofix, project, in: directory.url, environment)
            guard first.warm == "new", second.warm == "reused" else {
                throw BenchError("\(project.name): the runs started \(first.warm) and \(second.warm), not new and reused")
            }
            let goal = 3 * user + 2
            print(project.name.padding(toLength: 18, withPad: " ", startingAt: 0)
                + String(format: "%7.2f s  %12.2f s  %12.2f s  %10.1fx  %9.2f s %@", user, first.seconds, second.seconds,
                         second.seconds / user, goal, second.seconds <= goal ? "met" : "MISSED"))
        }
        // The smoke run plays the Python timeline alone, on a few instant tests.
        let timelines = smoke ? [Timeline.python(slowTests: 6, shape: .trivial)]
            : [Timeline.swift, Timeline.python(slowTests: 300, shape: .tenMilliseconds)]
        for timeline in timelines {
            if let missing = timeline.project.missing() {
                print("\ntimeline, \(timeline.title): skipped (\(missing))")
                continue
            }
            try Timeline.run(autofix, timeline)
        }
    }

    /// The environment of one project's runs: hermetic, with `home` as HOME and rustup's homes.
    static func environment(home: TemporaryDirectory) -> [String: String] {
        var environment = Hermetic.environment
        environment["HOME"] = home.path
        try? FileManager.default.copyItem(at: Hermetic.home.appendingPathComponent(".gitconfig"), to: home.file(".gitconfig"))
        environment.merge(rustupHomes()) { _, found in found }
        return environment
    }

    /// The baseline's seconds and the header's `warm_build` of one `git autofix run --json`.
    private static func baseline(_ autofix: URL, _ project: Project, in directory: URL,
                                 _ environment: [String: String]) throws -> (seconds: Double, warm: String) {
        let server = try ScriptedSSEServer(replies: [], models: ["bench-model"])
        defer { server.stop() }
        let result = try BenchProcess(
            arguments: [autofix.path, "run", "--json", "--endpoint", server.baseURL, "--model", "bench-model",
                        "--test", project.testCommand, "--no-reuse", "--yes"],
            directory: directory, environment: environment).run()
        var seconds: Double?
        var warm: String?
        for line in result.stdout.split(separator: "\n") {
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if event["event"] as? String == "started" { warm = event["warm_build"] as? String }
            // A baseline that ran no test would be fast for the wrong reason.
            if event["event"] as? String == "baseline", (event["passing"] as? Int ?? 0) > 0 { seconds = event["seconds"] as? Double }
        }
        guard result.status == 0, let seconds, let warm else { throw BenchProcess.Failure(result: result) }
        return (seconds, warm)
    }

    static func commit(_ directory: URL, _ environment: [String: String]) throws {
        try git(["init", "-q"], in: directory, environment)
        try git(["add", "-A"], in: directory, environment)
        try git(["commit", "-q", "-m", "initial"], in: directory, environment)
    }

    static func git(_ arguments: [String], in directory: URL, _ environment: [String: String]) throws {
        try BenchProcess(arguments: ["git"] + arguments, directory: directory, environment: environment).check()
    }

    /// Where rustup keeps its toolchains, from the environment or found next to cargo on PATH
    /// (`<home>/.cargo/bin/cargo`), since the benchmark's HOME is a temporary one.
    static func rustupHomes() -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        if inherited["RUSTUP_HOME"] != nil { return inherited.filter { ["RUSTUP_HOME", "CARGO_HOME"].contains($0.key) } }
        guard let cargo = ExecutableSearch.find("cargo", in: inherited["PATH"] ?? "") else { return [:] }
        let cargoHome = URL(fileURLWithPath: cargo).deletingLastPathComponent().deletingLastPathComponent()
        let rustupHome = cargoHome.deletingLastPathComponent().appendingPathComponent(".rustup")
        guard FileManager.default.fileExists(atPath: rustupHome.path) else { return [:] }
        return ["RUSTUP_HOME": rustupHome.path, "CARGO_HOME": cargoHome.path]
    }

    static func onPath(_ tool: String) -> String? {
        ExecutableSearch.find(tool, in: ProcessInfo.processInfo.environment["PATH"] ?? "") == nil ? "\(tool) is not on PATH" : nil
    }

    static let swiftPackage = Project(name: "swift-algorithms", testCommand: "swift test", missing: {
        onPath("swift") ?? mirror.flatMap { FileManager.default.fileExists(atPath: $0 + "/swift-algorithms.git") ? nil : "no mirror at \($0)" }
    }) { directory, environment in
        let files = FileManager.default
        try files.createDirectory(at: directory.appendingPathComponent("Sources/Windows"), withIntermediateDirectories: true)
        try files.createDirectory(at: directory.appendingPathComponent("Tests/WindowsTests"), withIntermediateDirectories: true)
        try files.createDirectory(at: directory.appendingPathComponent(".swiftpm/configuration"), withIntermediateDirectories: true)
        try """
            // swift-tools-version:5.9
            import PackageDescription

            let package = Package(
                name: "Windows",
                dependencies: [.package(url: "https://github.com/apple/swift-algorithms.git", exact: "1.2.1")],
                targets: [
                    .target(name: "Windows", dependencies: [.product(name: "Algorithms", package: "swift-algorithms")]),
                    .testTarget(name: "WindowsTests", dependencies: ["Windows"]),
                ]
            )

            """.write(to: directory.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        // SwiftPM's own mirror setting: the URLs resolve to the local clones, with no network.
        if let mirror {
            try """
                {"object": [
                  {"mirror": "\(mirror)/swift-algorithms.git", "original": "https://github.com/apple/swift-algorithms.git"},
                  {"mirror": "\(mirror)/swift-numerics.git", "original": "https://github.com/apple/swift-numerics.git"}
                ], "version": 1}

                """.write(to: directory.appendingPathComponent(".swiftpm/configuration/mirrors.json"), atomically: true, encoding: .utf8)
        }
        try """
            import Algorithms

            public func windowSums(_ values: [Int], size: Int) -> [Int] {
                values.windows(ofCount: size).map { $0.reduce(0, +) }
            }

            """.write(to: directory.appendingPathComponent("Sources/Windows/Windows.swift"), atomically: true, encoding: .utf8)
        try """
            import XCTest
            @testable import Windows

            final class WindowsTests: XCTestCase {
                func testSums() { XCTAssertEqual(windowSums([1, 2, 3, 4], size: 2), [3, 5, 7]) }
                func testEmpty() { XCTAssertEqual(windowSums([], size: 2), []) }
            }

            """.write(to: directory.appendingPathComponent("Tests/WindowsTests/WindowsTests.swift"), atomically: true, encoding: .utf8)
        try ".build/\n".write(to: directory.appendingPathComponent(".gitignore"), atomically: true, encoding: .utf8)
        // The dependencies are fetched as the user fetches them, so the system's git URL rewrites count.
        try BenchProcess(arguments: ["swift", "build", "--build-tests"], directory: directory,
                         environment: environment.filter { $0.key != "GIT_CONFIG_NOSYSTEM" }).check()
    }

    static let cargoCrate = Project(name: "cargo", testCommand: "cargo test", missing: { onPath("cargo") }) { directory, environment in
        let files = FileManager.default
        try files.createDirectory(at: directory.appendingPathComponent("src"), withIntermediateDirectories: true)
        try """
            [package]
            name = "windows"
            version = "0.1.0"
            edition = "2021"

            """.write(to: directory.appendingPathComponent("Cargo.toml"), atomically: true, encoding: .utf8)
        try """
            pub fn window_sums(values: &[i64], size: usize) -> Vec<i64> {
                values.windows(size).map(|w| w.iter().sum()).collect()
            }

            #[cfg(test)]
            mod tests {
                use super::*;
                #[test]
                fn sums() { assert_eq!(window_sums(&[1, 2, 3, 4], 2), vec![3, 5, 7]); }
                #[test]
                fn empty() { assert_eq!(window_sums(&[], 2), Vec::<i64>::new()); }
            }

            """.write(to: directory.appendingPathComponent("src/lib.rs"), atomically: true, encoding: .utf8)
        try "/target\n".write(to: directory.appendingPathComponent(".gitignore"), atomically: true, encoding: .utf8)
        try BenchProcess(arguments: ["cargo", "build", "--tests"], directory: directory, environment: environment).check()
    }
}
