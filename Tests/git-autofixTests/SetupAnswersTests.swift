import AutofixTestSupport
import Foundation
import XCTest

/// What a user sees for set-ups that are not what a run expects: a bare repository, credentials
/// in the endpoint URL, a snapshot that stored a very large file.
final class SetupAnswersTests: XCTestCase {
    func testABareRepositoryIsNamedAsSuch() throws {
        let repo = try TestRepository(prefix: "autofix-bare", bare: true)
        let output = try AutofixCLI.run(["run", "--test", "true"], in: repo.url)
        XCTAssertEqual(output.status, 5, output.stdout + output.stderr)
        XCTAssertTrue(output.stderr.contains("bare repository"), output.stderr)
        XCTAssertFalse(output.stderr.contains("no test command"), output.stderr)
    }

    func testCredentialsInTheEndpointAreNeverPrintedOrStored() throws {
        let repo = try SampleProjects.pythonCalculator()
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream([SampleProjects.pythonCalculatorFix])])
        defer { server.stop() }
        let endpoint = server.baseURL.replacingOccurrences(of: "http://", with: "http://someone:hunter2pass@")
        let output = try AutofixCLI.run(["run", "--endpoint", endpoint, "--model", "m", "--test", "python3 -m pytest -q",
                                         "--sandbox", "bwrap"], in: repo.url)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("***@127.0.0.1"), output.stdout)
        XCTAssertFalse((output.stdout + output.stderr).contains("hunter2pass"))
        let ref = try repo.git("for-each-ref", "--format=%(refname)", "refs/autofix").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(try repo.git("notes", "--ref=autofix", "show", ref).contains("hunter2pass"))
        let runs = try TreeFingerprint.of(repo.file(".git/autofix"))
        for path in runs.keys where !path.hasSuffix("/") {
            XCTAssertFalse(try String(contentsOf: repo.file(".git/autofix/" + path), encoding: .utf8).contains("hunter2pass"), path)
        }
        XCTAssertTrue(server.recordedRequests.last?.header("Authorization")?.hasPrefix("Basic ") ?? false,
                      "the credentials are still used")
    }

    func testASnapshotThatStoresAVeryLargeFileSaysSo() throws {
        let repo = try TestRepository(prefix: "autofix-large")
        try repo.write("README.md", "hello\n")
        try repo.commitAll("initial")
        try repo.writeData("dump.bin", Data(count: 51 << 20))
        let output = try AutofixCLI.run(["snapshot", "--json"], in: repo.url)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let large = try XCTUnwrap(object["large_files"] as? [[String: Any]])
        XCTAssertEqual(large.first?["path"] as? String, "dump.bin")
        XCTAssertEqual(large.first?["bytes"] as? Int, 51 << 20)

        let text = try AutofixCLI.run(["snapshot"], in: repo.url)
        XCTAssertTrue(text.stderr.contains("warning:") && text.stderr.contains("dump.bin"), text.stderr)
    }

    func testAFileErrorIsAGitErrorWithThePathNotTestsStillFailing() throws {
        let repo = try TestRepository(prefix: "autofix-file-error")
        try repo.write("README.md", "hello\n")
        try repo.commitAll("initial")
        try "".write(to: repo.file(".git/autofix"), atomically: true, encoding: .utf8)
        let output = try AutofixCLI.run(["snapshot"], in: repo.url)
        XCTAssertEqual(output.status, 5, output.stdout + output.stderr)
        XCTAssertTrue(output.stderr.contains(".git/autofix/runs failed: Not a directory"), output.stderr)
        XCTAssertFalse(output.stderr.contains("NSCocoaErrorDomain"), output.stderr)
    }
}
