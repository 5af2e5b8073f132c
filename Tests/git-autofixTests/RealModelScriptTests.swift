import AutofixTestSupport
import Foundation
import XCTest

/// `scripts/local-model` without a server: what it says and what it must never do. Starting a
/// server is covered by the real-model tier that `.ci/run` runs.
final class RealModelScriptTests: XCTestCase {
    private static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/local-model")

    private func localModel(_ arguments: [String], cache: TemporaryDirectory) throws -> Shell.Output {
        var environment = Hermetic.environment
        environment["XDG_CACHE_HOME"] = cache.path
        return try Shell.run(["python3", Self.script.path] + arguments, environment: environment)
    }

    func testStatusAndStopWithoutAServer() throws {
        let cache = try TemporaryDirectory(prefix: "autofix-local-model")
        let status = try localModel(["status"], cache: cache)
        XCTAssertEqual(status.status, 3, "status exits 3 when no server runs, like an init script")
        XCTAssertEqual(status.stdout, "not running\n")

        let stop = try localModel(["stop"], cache: cache)
        XCTAssertEqual(stop.status, 0, "stopping what is not running is not an error")
        XCTAssertTrue(stop.stderr.contains("not running"), stop.stderr)
    }

    func testAStalePidFileNeverStopsSomeoneElsesProcess() throws {
        let cache = try TemporaryDirectory(prefix: "autofix-local-model")
        let bystander = Process()
        bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
        bystander.arguments = ["60"]
        try bystander.run()
        defer { bystander.terminate(); bystander.waitUntilExit() }

        let state = cache.url.appendingPathComponent("git-autofix/local-model")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try "\(bystander.processIdentifier)\n".write(to: state.appendingPathComponent("server.pid"), atomically: true, encoding: .utf8)
        try "9\n".write(to: state.appendingPathComponent("server.port"), atomically: true, encoding: .utf8)

        XCTAssertEqual(try localModel(["status"], cache: cache).status, 3, "a pid that is not the server is not a server")
        XCTAssertEqual(try localModel(["stop"], cache: cache).status, 0)
        XCTAssertTrue(bystander.isRunning, "stop only signals a process whose command line is the model server")
    }

    func testContextTokensPrintsTheWindowItServesSinceItsServerReportsNone() throws {
        let cache = try TemporaryDirectory(prefix: "autofix-local-model")
        let output = try localModel(["context-tokens"], cache: cache)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stdout, "8192\n", "only the number, for --context-tokens \"$(scripts/local-model context-tokens)\"")
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.url.appendingPathComponent("git-autofix").path),
                       "asking for the window prepares nothing")
    }

    func testUnknownCommandPrintsUsage() throws {
        let cache = try TemporaryDirectory(prefix: "autofix-local-model")
        let output = try localModel(["restart"], cache: cache)
        XCTAssertEqual(output.status, 2)
        XCTAssertTrue(output.stderr.contains("scripts/local-model start"), output.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.url.appendingPathComponent("git-autofix").path),
                       "a usage error creates nothing")
    }
}
