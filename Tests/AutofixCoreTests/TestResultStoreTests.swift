import AutofixCore
import AutofixSandbox
import AutofixTestSupport
import Foundation
import XCTest

/// The results kept by tree: found only under their whole key, never from a file that is
/// damaged or holds another key, and no more of them than the limit.
final class TestResultStoreTests: XCTestCase {
    private let tree = String(repeating: "ab", count: 20)
    private let key = TestResultKey(tree: String(repeating: "ab", count: 20), command: "python3 -m pytest -v", environment: "host")

    private func result(_ key: TestResultKey, output: String = "1 passed\n", at: Date = Date(timeIntervalSince1970: 1_700_000_000)) -> StoredTestResult {
        StoredTestResult(key: key, exitCode: 1, timedOut: false, seconds: 2.5, limitNote: "a note", at: at, by: "pre-push hook",
                         root: "/checkout", output: output)
    }

    func testAResultIsFoundUnderItsWholeKeyOnly() throws {
        let directory = try TemporaryDirectory(prefix: "autofix-results")
        let store = TestResultStore(directory: directory.url.appendingPathComponent("results"))
        XCTAssertNil(store.result(for: key), "nothing stored yet, not even the directory")

        try store.record(result(key))
        XCTAssertEqual(store.result(for: key), result(key))
        XCTAssertNil(store.result(for: TestResultKey(tree: tree, command: "python3 -m pytest", environment: "host")))
        XCTAssertNil(store.result(for: TestResultKey(tree: tree, command: key.command, environment: "sandbox=bwrap")))
        XCTAssertNil(store.result(for: TestResultKey(tree: String(repeating: "cd", count: 20), command: key.command, environment: "host")))
    }

    func testTheOutputNamesTheReadersCheckout() throws {
        let directory = try TemporaryDirectory(prefix: "autofix-results")
        let store = TestResultStore(directory: directory.url)
        try store.record(result(key, output: "/checkout/calc.py:2: AssertionError\n"))
        XCTAssertEqual(store.result(for: key)?.output(naming: "/elsewhere"), "/elsewhere/calc.py:2: AssertionError\n")
    }

    func testDamagedFilesAndFilesHoldingAnotherKeyCountAsNoResult() throws {
        let directory = try TemporaryDirectory(prefix: "autofix-results")
        let store = TestResultStore(directory: directory.url)
        try store.record(result(key))
        let file = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: directory.path).first)
        let path = directory.url.appendingPathComponent(file)

        try Data("{\"key\": ".utf8).write(to: path)
        XCTAssertNil(store.result(for: key), "cut off")
        try Data([0xff, 0xfe, 0x00, 0x01]).write(to: path)
        XCTAssertNil(store.result(for: key), "not JSON")
        try Data("{}".utf8).write(to: path)
        XCTAssertNil(store.result(for: key), "no fields")

        let other = TestResultKey(tree: tree, command: "make test", environment: "host")
        let otherStore = TestResultStore(directory: directory.url.appendingPathComponent("other"))
        try otherStore.record(result(other))
        let otherFile = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: otherStore.directory.path).first)
        try FileManager.default.removeItem(at: path)
        try FileManager.default.copyItem(at: otherStore.directory.appendingPathComponent(otherFile), to: path)
        XCTAssertNil(store.result(for: key), "a file in this key's place that holds another key")

        try FileManager.default.removeItem(at: path)
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: false)
        XCTAssertNil(store.result(for: key), "a directory in its place")
        XCTAssertThrowsError(try store.record(result(key)), "it cannot be replaced either, and says so")
    }

    func testOnlyTheNewestResultsAreKept() throws {
        let directory = try TemporaryDirectory(prefix: "autofix-results")
        let store = TestResultStore(directory: directory.url, limit: 3)
        let keys = (0..<5).map { TestResultKey(tree: tree, command: "test \($0)", environment: "host") }
        for (index, key) in keys.enumerated() {
            try store.record(result(key))
            // A minute apart, in the order written, so the order does not hang on the clock's resolution.
            let file = directory.url.appendingPathComponent(try XCTUnwrap(Self.file(of: key, in: directory.url)))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: Double(60 * index - 3600))],
                                                  ofItemAtPath: file.path)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.count, 3)
        XCTAssertEqual(keys.map { store.result(for: $0) != nil }, [false, false, true, true, true])
    }

    func testTheOutputIsCutToItsHeadAndTail() throws {
        let directory = try TemporaryDirectory(prefix: "autofix-results")
        let store = TestResultStore(directory: directory.url, outputBytes: 100)
        let output = "HEAD" + String(repeating: "x", count: 10_000) + "TAIL"
        try store.record(result(key, output: output))
        let kept = try XCTUnwrap(store.result(for: key)?.output)
        XCTAssertTrue(kept.hasPrefix("HEAD"), kept)
        XCTAssertTrue(kept.hasSuffix("TAIL"), kept)
        XCTAssertTrue(kept.contains("bytes of output left out"), kept)
        XCTAssertLessThan(kept.utf8.count, 200)
    }

    func testAResultsTimeIsSaidWithoutTheDateOnTheSameDayOnly() throws {
        let utc = try XCTUnwrap(TimeZone(identifier: "UTC"))
        let made = Date(timeIntervalSince1970: 1_764_597_720) // 2025-12-01 14:02 UTC
        XCTAssertEqual(ReusedTime.text(made, now: made.addingTimeInterval(3600), timeZone: utc), "14:02")
        XCTAssertEqual(ReusedTime.text(made, now: made.addingTimeInterval(86400), timeZone: utc), "2025-12-01 14:02")
        XCTAssertEqual(ReusedTime.text(made, now: made, timeZone: try XCTUnwrap(TimeZone(identifier: "Asia/Tokyo"))), "23:02")
    }

    /// Every sandbox setting that can change what the tests show changes the key.
    func testEachSandboxSettingThatCanChangeAResultChangesTheEnvironment() throws {
        var base = try SandboxSettings.resolve(SandboxSettings.Flags(backend: "bwrap"), config: { _ in nil }, configList: { _ in [] })
        base.environment = ["TOKEN_NAME"]
        base.projectDirectory = URL(fileURLWithPath: "/work")
        let host = ["TOKEN_NAME": "one", "LANG": "C"]
        let original = base.resultEnvironment(host: host)
        XCTAssertEqual(base.resultEnvironment(host: host), original, "the same settings give the same key")
        XCTAssertFalse(original.contains("one"), "a passed value is not written down")
        var changes: [(String, SandboxSettings, [String: String])] = []
        func changed(_ name: String, _ change: (inout SandboxSettings) -> Void, host changedHost: [String: String]? = nil) {
            var settings = base
            change(&settings)
            changes.append((name, settings, changedHost ?? host))
        }
        changed("backend") { $0.backend = .podman }
        changed("image") { $0.image = "python:3.12" }
        changed("binds") { $0.binds = ["/opt/tool"] }
        changed("passed names") { $0.environment = ["OTHER"] }
        changed("passed value", { _ in }, host: ["TOKEN_NAME": "two", "LANG": "C"])
        changed("language", { _ in }, host: ["TOKEN_NAME": "one", "LANG": "de_DE.UTF-8"])
        changed("timeout") { $0.limits.timeout = 30 }
        changed("memory") { $0.limits.memoryBytes = 1 << 30 }
        changed("processes") { $0.limits.maxProcesses = 64 }
        changed("disk") { $0.limits.diskBytes = 1 << 20 }
        changed("work tree") { $0.projectDirectory = URL(fileURLWithPath: "/elsewhere") }
        for (name, settings, changedHost) in changes {
            XCTAssertNotEqual(settings.resultEnvironment(host: changedHost), original, name)
        }
    }

    private static func file(of key: TestResultKey, in directory: URL) throws -> String? {
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            if let text = String(data: data, encoding: .utf8), text.contains("\"command\":\"\(key.command)\"") { return name }
        }
        return nil
    }
}
