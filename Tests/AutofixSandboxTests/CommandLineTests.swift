import AutofixTestSupport
import XCTest
@testable import AutofixSandbox

/// The exact command lines the backends run, so a lost hardening flag fails a test even on a
/// machine where the backend itself cannot run.
final class CommandLineTests: XCTestCase {
    private func request(_ checkout: URL, binds: [String] = []) -> SandboxRequest {
        SandboxRequest(command: "make test", workDirectory: checkout, readOnlyBinds: binds,
                       limits: SandboxLimits(timeout: 60, memoryBytes: 512 << 20, maxProcesses: 128))
    }

    func testDockerCommandLineHasEveryHardeningFlag() throws {
        let checkout = try TemporaryDirectory(prefix: "autofix-checkout")
        let sandbox = ContainerSandbox(kind: .docker, program: "/usr/bin/docker", image: "example/test:1", runtime: "runsc")
        let arguments = try sandbox.arguments(for: request(checkout.url, binds: ["/usr/share"]), name: "git-autofix-x")
        let line = arguments.joined(separator: " ")
        for flags in [["run", "--name", "git-autofix-x", "--init"], ["--network", "none"], ["--read-only"],
                      ["--tmpfs", "/tmp:rw,exec,nosuid,nodev"], ["--cap-drop", "ALL"], ["--security-opt", "no-new-privileges"],
                      ["--pids-limit", "128"], ["--memory", "\(512 << 20)", "--memory-swap", "\(512 << 20)"],
                      ["--user", "\(getuid()):\(getgid())"], ["--runtime", "runsc"], ["--volume", "/usr/share:/usr/share:ro"],
                      ["--volume", "\(checkout.url.resolvingSymlinksInPath().path):/workspace:rw,nosuid,nodev", "--workdir", "/workspace"],
                      ["--env", "HOME=/tmp/home"], ["--env", "TERM=dumb"]] {
            XCTAssertTrue(line.contains(flags.joined(separator: " ")), "missing \(flags) in \(line)")
        }
        XCTAssertTrue(line.contains("--cpus "))
        XCTAssertEqual(Array(arguments.suffix(6)), ["example/test:1", "/bin/sh", "-c", #"mkdir -p "$HOME" && exec /bin/sh -c "$1""#, "autofix", "make test"])
        XCTAssertFalse(line.contains(".sock"), "never the engine socket")
        XCTAssertFalse(line.contains("--privileged"))
    }

    func testAHomeTheSessionKeepsIsBoundWritableAsHOME() throws {
        let checkout = try TemporaryDirectory(prefix: "autofix-checkout")
        let home = try TemporaryDirectory(prefix: "autofix-home")
        var kept = request(checkout.url)
        kept.home = home.url
        let bwrap = try BubblewrapSandbox(program: "/usr/bin/bwrap").arguments(for: kept, toolchains: .init())
        let line = bwrap.joined(separator: " ")
        XCTAssertTrue(line.contains("--tmpfs /tmp --bind \(home.path) /tmp/home"), line)
        XCTAssertFalse(line.contains("--dir /tmp/home"), line)
        XCTAssertTrue(line.contains("--setenv HOME /tmp/home"), line)
        let plain = try BubblewrapSandbox(program: "/usr/bin/bwrap").arguments(for: request(checkout.url), toolchains: .init())
        XCTAssertTrue(plain.joined(separator: " ").contains("--tmpfs /tmp --dir /tmp/home"))

        let docker = try ContainerSandbox(kind: .docker, program: "/usr/bin/docker", image: "example/test:1", runtime: nil)
            .arguments(for: kept, name: "git-autofix-x").joined(separator: " ")
        XCTAssertTrue(docker.contains("--volume \(home.path):/tmp/home:rw,nosuid,nodev"), docker)
    }

    func testSizesUsersType() {
        XCTAssertEqual(SandboxLimits.bytes("512m"), 512 << 20)
        XCTAssertEqual(SandboxLimits.bytes("2G"), 2 << 30)
        XCTAssertEqual(SandboxLimits.bytes("1.5g"), 3 << 29)
        XCTAssertEqual(SandboxLimits.bytes("800k"), 800 << 10)
        XCTAssertEqual(SandboxLimits.bytes("1048576"), 1 << 20)
        XCTAssertNil(SandboxLimits.bytes("lots"))
        XCTAssertNil(SandboxLimits.bytes("0"))
        XCTAssertNil(SandboxLimits.bytes("-1m"))
    }

    func testBubblewrapCommandLine() throws {
        let checkout = try TemporaryDirectory(prefix: "autofix-checkout")
        let sandbox = BubblewrapSandbox(program: "/usr/bin/bwrap")
        let arguments = try sandbox.arguments(for: request(checkout.url), toolchains: .init(prefixes: ["/opt/tool"], binDirectories: ["/opt/tool/bin"]))
        let line = arguments.joined(separator: " ")
        let path = checkout.url.resolvingSymlinksInPath().path
        for flags in [["--unshare-all", "--unshare-user"], ["--disable-userns"], ["--cap-drop", "ALL"], ["--die-with-parent"],
                      ["--new-session"], ["--clearenv"], ["--setenv", "HOME", "/tmp/home"], ["--setenv", "TERM", "dumb"],
                      ["--ro-bind", "/usr", "/usr"], ["--tmpfs", "/tmp"], ["--ro-bind", "/opt/tool", "/opt/tool"],
                      ["--bind", path, path, "--chdir", path, "--remount-ro", "/"]] {
            XCTAssertTrue(line.contains(flags.joined(separator: " ")), "missing \(flags) in \(line)")
        }
        XCTAssertTrue(line.contains("--setenv PATH /opt/tool/bin:"), line)
        XCTAssertFalse(line.contains("--share-net"))
        XCTAssertEqual(Array(arguments.suffix(4)), ["--", "/bin/sh", "-c", "make test"])
        // The checkout is the last bind, so no read-only bind can cover it.
        XCTAssertEqual(arguments.lastIndex(of: "--bind"), arguments.firstIndex(of: "--bind"))
    }
}
