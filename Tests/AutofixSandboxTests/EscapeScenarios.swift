import AutofixTestSupport
import Foundation
import XCTest
@testable import AutofixSandbox

/// Attacks a hostile test command might try, run against one backend. Each scenario first
/// proves its tool works (unconfined, on the host), then that the attack fails in the sandbox.
/// `finish()` then checks that nothing is left running and the host is unchanged.
final class EscapeScenarios {
    let sandbox: Sandbox
    let checkout: TemporaryDirectory
    /// A host directory next to the checkout that the sandbox must neither read nor write.
    let outside: TemporaryDirectory
    /// A real repository whose `.git` the sandbox must not reach.
    let repository: TestRepository
    let marker = SandboxFixture.marker()
    private let before: [String: [String: String]]

    init(sandbox: Sandbox) throws {
        self.sandbox = sandbox
        checkout = try TemporaryDirectory(prefix: "autofix-checkout")
        outside = try TemporaryDirectory(prefix: "autofix-outside")
        try "top secret \(marker)\n".write(to: outside.file("secret.txt"), atomically: true, encoding: .utf8)
        repository = try TestRepository(prefix: "autofix-real-repo")
        try repository.write("test.sh", "exit 0\n")
        try repository.commitAll("initial")
        before = try Self.hostState(outside: outside, repository: repository)
    }

    private static func hostState(outside: TemporaryDirectory, repository: TestRepository) throws -> [String: [String: String]] {
        ["outside": try TreeFingerprint.of(outside.url),
         "repository": try repository.fingerprint(),
         "home": try TreeFingerprint.of(Hermetic.home)]
    }

    /// The paths an attack would leave on the host if it worked.
    private var hostTraces: [String] {
        ["/tmp/autofix-escape-\(marker)", "\(Hermetic.home.path)/escape-\(marker)", "/usr/autofix-escape-\(marker)",
         "/etc/autofix-escape-\(marker)", "/var/tmp/autofix-escape-\(marker)"]
    }

    func run(_ command: String, limits: SandboxLimits = SandboxLimits(timeout: 60), in target: Sandbox? = nil,
             environment: [String] = []) async throws -> SandboxResult {
        try await SandboxFixture.run(target ?? sandbox, command, in: checkout.url, limits: limits, environment: environment)
    }

    func unconfined(_ command: String, limits: SandboxLimits = SandboxLimits(timeout: 60)) async throws -> SandboxResult {
        try await run(command, limits: limits, in: SandboxFixture.unconfined())
    }

    /// Nothing with this scenario's marker runs, no trace exists, the watched host dirs are unchanged.
    func finish(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(SandboxFixture.processes(containing: marker), [], "left running", file: file, line: line)
        for trace in hostTraces {
            XCTAssertFalse(FileManager.default.fileExists(atPath: trace), "\(trace) was written", file: file, line: line)
        }
        XCTAssertEqual(try Self.hostState(outside: outside, repository: repository), before, "host changed", file: file, line: line)
    }

    // MARK: - Network

    func loopbackConnection() async throws {
        let listener = try LoopbackListener()
        defer { listener.stop() }
        let connect = "busybox nc -w 2 127.0.0.1 \(listener.port) </dev/null && echo CONNECTED"
        let control = try await unconfined(connect)
        XCTAssertTrue(control.stdout.contains("CONNECTED"), "tool check: \(control.combinedOutput)")
        XCTAssertEqual(listener.acceptPending(), 1)

        let attack = try await run(connect)
        XCTAssertFalse(attack.stdout.contains("CONNECTED"), attack.combinedOutput)
        XCTAssertEqual(listener.acceptPending(), 0)
        try finish()
    }

    func dnsAndInterfaces() async throws {
        let interfaces = "busybox tail -n +3 /proc/net/dev | busybox cut -d: -f1 | busybox tr -d ' '"
        let control = try await unconfined(interfaces)
        XCTAssertTrue(control.stdout.split(separator: "\n").contains { $0 != "lo" }, "tool check: host has a non-loopback interface: \(control.stdout)")

        let inside = try await run(interfaces)
        XCTAssertEqual(inside.stdout.split(separator: "\n").filter { $0 != "lo" }, [], "interfaces besides lo: \(inside.stdout)")
        let lookup = try await run("busybox nslookup example.com 9.9.9.9 && echo RESOLVED",
                                   limits: SandboxLimits(timeout: 20))
        XCTAssertFalse(lookup.stdout.contains("RESOLVED"), lookup.combinedOutput)
        XCTAssertFalse(lookup.succeeded)
        try finish()
    }

    // MARK: - Files

    func writingOutsideTheCheckout() async throws {
        let targets = hostTraces + [
            outside.file("planted").path, outside.file("secret.txt").path,
            repository.url.appendingPathComponent(".git/hooks/pre-commit").path,
            repository.url.appendingPathComponent(".git/hooks/post-checkout").path,
        ]
        let script = targets.map { "(echo evil > '\($0)') 2>/dev/null && echo WROTE '\($0)'" }.joined(separator: "; ")
            + "; (echo '[core] hooksPath = /tmp' >> '\(repository.url.path)/.git/config') 2>/dev/null && echo WROTE config"
            + "; mkdir -p /tmp/autofix-escape-\(marker) 2>/dev/null; ls -a; true"
        let attack = try await run(script)
        XCTAssertTrue(attack.succeeded, attack.combinedOutput)
        XCTAssertFalse(attack.stdout.contains("WROTE \(outside.path)"), attack.stdout)
        XCTAssertFalse(attack.stdout.contains("WROTE \(repository.path)"), attack.stdout)
        XCTAssertFalse(attack.stdout.contains("WROTE config"), attack.stdout)
        XCTAssertFalse(attack.stdout.contains("WROTE /usr"), attack.stdout)
        XCTAssertFalse(attack.stdout.contains("WROTE /etc"), attack.stdout)
        // /tmp and /var/tmp inside are private tmpfs mounts; `finish` checks the host's.
        XCTAssertFalse(attack.stdout.split(separator: "\n").contains(".git"), "the checkout has no .git of the real repo")
        try finish()
    }

    func symlinkOutOfTheCheckout() async throws {
        try FileManager.default.createSymbolicLink(atPath: checkout.file("absolute").path, withDestinationPath: outside.file("secret.txt").path)
        try FileManager.default.createSymbolicLink(
            atPath: checkout.file("relative").path, withDestinationPath: "../\(outside.url.lastPathComponent)/secret.txt")
        let control = try await unconfined("cat absolute relative")
        XCTAssertEqual(control.stdout.components(separatedBy: marker).count, 3, "tool check: \(control.combinedOutput)")

        let attack = try await run("cat absolute relative; echo evil > absolute; echo evil > relative; true")
        XCTAssertFalse(attack.combinedOutput.contains(marker), attack.combinedOutput)
        try finish()
    }

    func hardlinkToAHostFile() async throws {
        let secret = outside.file("secret.txt").path
        let control = try await unconfined("ln '\(secret)' control-link && echo LINKED && rm control-link")
        XCTAssertTrue(control.stdout.contains("LINKED"), "tool check: \(control.combinedOutput)")

        let attack = try await run("ln '\(secret)' a 2>&1 && echo LINKED; ln /etc/passwd b 2>&1 && echo LINKED; ln /usr/bin/env c 2>&1 && echo LINKED; true")
        XCTAssertFalse(attack.stdout.contains("LINKED"), attack.combinedOutput)
        var info = stat()
        XCTAssertEqual(lstat(secret, &info), 0)
        XCTAssertEqual(info.st_nlink, 1)
        try finish()
    }

    // MARK: - Processes and privileges

    func seeingHostProcesses() async throws {
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "/bin/sleep")
        host.arguments = [marker]
        try host.run()
        // SIGKILL: Foundation starts children with the calling thread's blocked signals, so
        // the sleep may not see SIGTERM.
        defer {
            kill(host.processIdentifier, SIGKILL)
            host.waitUntilExit()
        }
        let look = "for f in /proc/[0-9]*/cmdline; do busybox tr '\\0' ' ' < $f; echo; done 2>/dev/null"
        let control = try await unconfined(look)
        XCTAssertTrue(control.stdout.contains("sleep \(marker)"), "tool check: the host sleep is visible unconfined")

        let attack = try await run(look + "; echo PIDS=$(ls /proc | busybox grep -c '^[0-9]')")
        XCTAssertFalse(attack.stdout.contains("sleep \(marker)"), attack.stdout)
        let pids = attack.stdout.split(separator: "\n").last { $0.hasPrefix("PIDS=") }.flatMap { Int($0.dropFirst(5)) }
        XCTAssertNotNil(pids)
        XCTAssertLessThan(pids ?? 999, 10, "only the sandbox's own processes: \(attack.stdout)")
        kill(host.processIdentifier, SIGKILL)
        host.waitUntilExit()
        try finish()
    }

    /// A nested user namespace is refused under bwrap (`--disable-userns`). podman's default
    /// seccomp profile allows one; it grants nothing in the host's namespace, so for containers
    /// only the capability sets and NoNewPrivs are checked.
    func gainingPrivileges() async throws {
        let status = "busybox grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status"
        let control = try await unconfined(status + "; busybox unshare -U true && echo NESTED")
        XCTAssertTrue(control.stdout.contains("CapEff:"), "tool check: \(control.combinedOutput)")
        XCTAssertTrue(control.stdout.contains("NESTED"), "tool check: user namespaces work on the host: \(control.combinedOutput)")

        let attack = try await run(status + "; busybox unshare -U true && echo NESTED; busybox unshare -r true && echo NESTED; true")
        for capability in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            XCTAssertTrue(attack.stdout.contains("\(capability):\t0000000000000000"), "\(capability) not empty: \(attack.stdout)")
        }
        XCTAssertTrue(attack.stdout.contains("NoNewPrivs:\t1"), attack.stdout)
        if sandbox.kind == .bwrap {
            XCTAssertFalse(attack.stdout.contains("NESTED"), attack.combinedOutput)
        }
        try finish()
    }

    /// TIOCSTI pushes characters into the input of the terminal that started us; it needs the
    /// sandbox to share our terminal. It runs detached (setsid) without a controlling terminal,
    /// so there is no terminal to open, and its standard streams are not terminals either.
    func terminalInjection() async throws {
        let probe = "for fd in 0 1 2; do [ -t $fd ] && echo TTY$fd; done; (echo x > /dev/tty) 2>/dev/null && echo OPENED; busybox cut -d' ' -f6 /proc/self/stat; echo SELF=$$"
        let control = try await unconfined("[ -t 0 ]; echo TESTED=$?")
        XCTAssertTrue(control.stdout.contains("TESTED="), "tool check: \(control.combinedOutput)")

        let attack = try await run(probe)
        XCTAssertFalse(attack.stdout.contains("TTY"), attack.stdout)
        XCTAssertFalse(attack.stdout.contains("OPENED"), attack.stdout)
        try finish()
    }

    func readingSecretsFromTheEnvironment() async throws {
        setenv("AUTOFIX_API_KEY", "sk-\(marker)", 1)
        setenv("SSH_AUTH_SOCK", "/tmp/agent-\(marker).sock", 1)
        setenv("MISTRAL_API_KEY", "mk-\(marker)", 1)
        defer {
            unsetenv("AUTOFIX_API_KEY")
            unsetenv("SSH_AUTH_SOCK")
            unsetenv("MISTRAL_API_KEY")
        }
        XCTAssertEqual(ProcessInfo.processInfo.environment["AUTOFIX_API_KEY"], "sk-\(marker)", "the parent has the secret")
        let look = "env; for f in /proc/[0-9]*/environ; do busybox tr '\\0' '\\n' < $f; done 2>/dev/null; echo DONE"
        let attack = try await run(look)
        XCTAssertTrue(attack.stdout.contains("DONE"), attack.combinedOutput)
        XCTAssertTrue(attack.stdout.contains("PATH="), "tool check: env prints the environment")
        XCTAssertFalse(attack.combinedOutput.contains(marker), attack.combinedOutput)
        try finish()
    }

    /// Only 0, 1 and 2 reach the command: not a file the caller holds open (`exec 7>file`), not a
    /// socket of the tool's own, and standard input is /dev/null.
    func inheritedDescriptors() async throws {
        let target = outside.file("descriptor-\(marker).txt")
        try "".write(to: target, atomically: true, encoding: .utf8)
        let held = open(target.path, O_WRONLY | O_APPEND)
        XCTAssertGreaterThan(held, 2)
        defer { close(held) }
        var pair: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair), 0)
        defer { pair.forEach { close($0) } }
        XCTAssertNotEqual(fcntl(held, F_GETFD), -1, "the test process holds the descriptor open, without FD_CLOEXEC")
        XCTAssertEqual(fcntl(held, F_GETFD) & FD_CLOEXEC, 0)
        let probe = "busybox ls /proc/$$/fd; echo END; for fd in \(held) \(pair[0]) \(pair[1]); do (echo written >&$fd) 2>/dev/null && echo WROTE$fd; done; busybox readlink /proc/$$/fd/0"
        let before = try Self.hostState(outside: outside, repository: repository)

        let attack = try await run(probe)
        XCTAssertFalse(attack.stdout.contains("WROTE"), attack.combinedOutput)
        // Listed by a plain command, so the shell holds no pipe or saved descriptor of its own then.
        let lines = attack.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix { $0 != "END" }), ["0", "1", "2"], "only the standard descriptors are open: \(attack.combinedOutput)")
        XCTAssertEqual(lines.last, "/dev/null", attack.combinedOutput)
        XCTAssertEqual(try Self.hostState(outside: outside, repository: repository), before)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "")
    }

    /// A setuid copy of a program made in the checkout runs without privilege there (the mount is
    /// nosuid), and the checkout is no place another user can reach it.
    func setuidFile() async throws {
        let make = "busybox cp /bin/busybox idx && busybox chmod 4755 idx && busybox grep -c nosuid /proc/self/mountinfo >/dev/null && busybox awk -v d=\"$(pwd)\" '$5 == d { print $6 }' /proc/self/mountinfo"
        let attack = try await run(make)
        XCTAssertEqual(attack.exitCode, 0, attack.combinedOutput)
        let options = attack.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        XCTAssertTrue(options.contains("nosuid"), "the checkout is mounted nosuid inside: \(attack.stdout)")
        try finish()
    }

    /// What the tests write to the checkout is bounded: a writer past the limit is stopped and the
    /// limit is named; /tmp is bounded by the same size.
    func diskFiller() async throws {
        let fill = "busybox dd if=/dev/zero of=big-\(marker) bs=1048576 count=400 2>&1; echo WROTE"
        let attack = try await run(fill, limits: SandboxLimits(timeout: 60, diskBytes: 32 << 20))
        XCTAssertEqual(attack.limitHit, .disk, attack.summary + attack.combinedOutput)
        XCTAssertFalse(attack.succeeded)
        XCTAssertTrue(attack.stderr.contains("autofix.sandboxDisk"), attack.stderr)
        try FileManager.default.removeItem(at: checkout.file("big-\(marker)"))

        let tmp = try await run("busybox dd if=/dev/zero of=/tmp/big bs=1048576 count=400 2>/dev/null && echo FILLED; echo DONE",
                                limits: SandboxLimits(timeout: 60, diskBytes: 32 << 20))
        XCTAssertTrue(tmp.stdout.contains("DONE"), tmp.combinedOutput)
        XCTAssertFalse(tmp.stdout.contains("FILLED"), "/tmp is bounded too: \(tmp.combinedOutput)")
        try finish()
    }

    // MARK: - Resources

    func forkBomb() async throws {
        try "b() { b | b & }\nb\nsleep \(marker)\n".write(to: checkout.file("\(marker).sh"), atomically: true, encoding: .utf8)
        let attack = try await run("sh ./\(marker).sh", limits: SandboxLimits(timeout: 3, maxProcesses: 64))
        XCTAssertFalse(attack.succeeded)
        if sandbox.kind == .bwrap {
            XCTAssertTrue([LimitHit.processes, .timeout].contains(attack.limitHit), attack.summary)
        } else {
            // The engine does not report a pids-limit hit; the shell either fails to fork (and
            // says so) or runs into the timeout.
            XCTAssertTrue(attack.limitHit == .timeout || attack.combinedOutput.lowercased().contains("fork"),
                          "\(attack.summary): \(attack.combinedOutput)")
        }
        try finish()
    }

    func memoryHog() async throws {
        let hog = "x=$(busybox head -c 64000000 /dev/zero | busybox tr '\\0' a); echo LENGTH=${#x}"
        let control = try await unconfined(hog)
        XCTAssertTrue(control.stdout.contains("LENGTH=64000000"), "tool check: \(control.combinedOutput)")

        let attack = try await run(hog, limits: SandboxLimits(timeout: 60, memoryBytes: 16 << 20))
        XCTAssertFalse(attack.stdout.contains("LENGTH=64000000"), attack.combinedOutput)
        XCTAssertFalse(attack.succeeded)
        if sandbox.kind != .bwrap || ResourceGroup.make(memoryBytes: nil, maxProcesses: nil).map({ $0.remove(); return true }) == true {
            XCTAssertEqual(attack.limitHit, .memory, attack.summary)
        }
        try finish()
    }

    func infiniteLoop() async throws {
        try "while :; do :; done\n".write(to: checkout.file("\(marker).sh"), atomically: true, encoding: .utf8)
        let attack = try await run("sh ./\(marker).sh", limits: SandboxLimits(timeout: 2))
        XCTAssertEqual(attack.limitHit, .timeout)
        XCTAssertFalse(attack.succeeded)
        try finish()
    }

    func childIgnoringSIGTERM() async throws {
        try "trap '' TERM INT HUP\necho ready\nsh -c \"trap '' TERM; sleep \(marker)\" &\nsleep \(marker)\n"
            .write(to: checkout.file("\(marker).sh"), atomically: true, encoding: .utf8)
        let attack = try await run("sh ./\(marker).sh", limits: SandboxLimits(timeout: 2))
        XCTAssertEqual(attack.limitHit, .timeout)
        XCTAssertEqual(attack.stdout, "ready\n")
        try finish()
    }

    /// Cancelling the task that awaits the run kills everything, including (for containers) the
    /// container the engine would otherwise keep running.
    func cancellation() async throws {
        try "trap '' TERM INT HUP\nsleep \(marker) &\nsleep \(marker)\n"
            .write(to: checkout.file("\(marker).sh"), atomically: true, encoding: .utf8)
        let sandbox = self.sandbox
        let url = checkout.url
        let task = Task { try await SandboxFixture.run(sandbox, "sh ./\(marker).sh", in: url) }
        try await waitUntil { SandboxFixture.processes(containing: "sleep \(marker)").count == 2 }
        task.cancel()
        do {
            let result = try await task.value
            XCTFail("a cancelled run returned a result: \(result.summary) \(result.combinedOutput)")
        } catch is CancellationError {}
        try finish()
    }

    func outputFlood() async throws {
        try "yes \(marker)\n".write(to: checkout.file("\(marker).sh"), atomically: true, encoding: .utf8)
        let attack = try await run("sh ./\(marker).sh", limits: SandboxLimits(timeout: 2, outputBytes: 64 * 1024))
        XCTAssertEqual(attack.limitHit, .timeout)
        XCTAssertTrue(attack.stdout.hasPrefix("\(marker)\n\(marker)\n"))
        XCTAssertTrue(attack.stdout.contains("bytes of output omitted"))
        XCTAssertLessThan(attack.stdout.utf8.count, 64 * 1024 + 200)
        try finish()
    }
}
