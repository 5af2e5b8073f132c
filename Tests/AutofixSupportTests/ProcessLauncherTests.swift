import AutofixSupport
import AutofixTestSupport
import Foundation
import XCTest

final class ProcessLauncherTests: XCTestCase {
    private func shell(_ script: String, directory: String? = nil) -> ProcessSpec {
        ProcessSpec(["sh", "-c", script], environment: ["PATH": "/usr/bin:/bin", "GREETING": "hello"], directory: directory)
    }

    func testTheProgramGetsItsEnvironmentAndDirectoryAndBothStreamsComeBackApart() throws {
        let directory = try TemporaryDirectory()
        let output = try ProcessLauncher.run(shell("echo \"$GREETING from $(pwd)\"; echo oops >&2; exit 3", directory: directory.path))

        XCTAssertEqual(output.termination, .exited(3))
        XCTAssertEqual(output.stdoutText, "hello from \(directory.url.resolvingSymlinksInPath().path)\n")
        XCTAssertEqual(output.stderrText, "oops\n")
        XCTAssertFalse(output.truncated)
    }

    func testOnlyTheStandardStreamsAndThePassedDescriptorsReachTheChild() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("passed")
        try Data("through fd 3\n".utf8).write(to: file)
        // Opened without O_CLOEXEC, as a careless library would: it must not leak all the same.
        let stray = open(file.path, O_RDONLY)
        let passed = open(file.path, O_RDONLY)
        defer { close(stray); close(passed) }
        // No pipeline in the script: the shell would hold a pipe of its own while `ls` looks.
        var spec = shell("ls /proc/$$/fd; cat <&3")
        spec.passedDescriptors = [passed]

        let output = try ProcessLauncher.run(spec)

        XCTAssertEqual(output.stdoutText, "0\n1\n2\n3\nthrough fd 3\n", output.stderrText)
    }

    func testOutputPastTheCapIsReadAndDroppedSoTheChildFinishes() throws {
        let output = try ProcessLauncher.run(shell("head -c 300000 /dev/zero; echo done >&2"), outputBytes: 1000)

        XCTAssertEqual(output.termination, .exited(0))
        XCTAssertEqual(output.stdout.count, 1000)
        XCTAssertEqual(output.stderrText, "done\n")
        XCTAssertTrue(output.truncated)
    }

    func testASignalledChildReportsTheSignal() throws {
        let output = try ProcessLauncher.run(shell("kill -TERM $$"))

        XCTAssertEqual(output.termination, .signalled(SIGTERM))
        XCTAssertEqual(output.termination.shellStatus, 128 + SIGTERM)
    }

    func testANewProcessGroupIsLedByTheChild() throws {
        let script = "echo $$; cut -d' ' -f5 /proc/$$/stat"
        var spec = shell(script)
        spec.newProcessGroup = true
        let own = try ProcessLauncher.run(spec).stdoutText.split(separator: "\n")
        XCTAssertEqual(own.count, 2)
        XCTAssertEqual(own.first, own.last)

        let shared = try ProcessLauncher.run(shell(script)).stdoutText.split(separator: "\n")
        XCTAssertEqual(shared.last.map(String.init), String(getpgrp()))
    }

    func testAProgramThatIsNotThereIsAnErrorNamingIt() throws {
        XCTAssertThrowsError(try ProcessLauncher.run(ProcessSpec(["no-such-program-here"], environment: ["PATH": "/usr/bin:/bin"]))) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("spawn", path: "no-such-program-here", code: ENOENT))
        }
    }

    func testTheAsyncRunWaitsForTheEnd() async throws {
        let output = try await ProcessLauncher.run(shell("sleep 0.2; echo late"))
        XCTAssertEqual(output.stdoutText, "late\n")
    }
}
