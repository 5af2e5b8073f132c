import AutofixTestSupport
import XCTest
@testable import AutofixSandbox

/// The two ways limits are enforced: a cgroup of the run's own, or rlimits where none can be made.
final class ResourceLimitTests: XCTestCase {
    func testOwnCgroupPathIsReadFromProcSelfCgroup() {
        let hybrid = "9:name=systemd:/\n8:pids:/\n4:memory:/jobs/abc\n0::/user.slice\n"
        XCTAssertEqual(ResourceGroup.ownPath(in: hybrid, controller: "memory"), "/jobs/abc")
        XCTAssertEqual(ResourceGroup.ownPath(in: hybrid, controller: "pids"), "")
        XCTAssertEqual(ResourceGroup.ownPath(in: hybrid, controller: ""), "/user.slice")
        XCTAssertNil(ResourceGroup.ownPath(in: "0::/\n", controller: "pids"))
        XCTAssertEqual(ResourceGroup.ownPath(in: "3:cpu,cpuacct:/x\n", controller: "cpuacct"), "/x")
    }

    func testWithoutACgroupTheMemoryLimitIsAnRlimit() async throws {
        let directory = try TemporaryDirectory(prefix: "autofix-rlimit")
        let hog = "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo LENGTH=${#x}"
        func launch(_ command: String) -> Launch {
            var launch = Launch(arguments: ["/bin/sh", "-c", command], environment: ["PATH": "/usr/bin:/bin"],
                                directory: directory.path, ownResourceGroup: true)
            launch.cgroupRoot = directory.file("no-cgroups-here").path
            return launch
        }
        let unlimited = try await ProcessRunner.run(launch(hog), limits: SandboxLimits(timeout: 60))
        XCTAssertEqual(unlimited.stdout, "LENGTH=64000000\n", "control: the hog works without a limit")

        let limited = try await ProcessRunner.run(launch(hog), limits: SandboxLimits(timeout: 60, memoryBytes: 16 << 20))
        XCTAssertFalse(limited.stdout.contains("LENGTH=64000000"), limited.combinedOutput)
        XCTAssertFalse(limited.succeeded)

        let shown = try await ProcessRunner.run(launch("ulimit -d; ulimit -p"),
                                                limits: SandboxLimits(timeout: 60, memoryBytes: 16 << 20, maxProcesses: 77))
        XCTAssertEqual(shown.stdout, "16384\n77\n")
    }
}
