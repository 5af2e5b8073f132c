import AutofixSandbox
import AutofixSupport
import Foundation

/// Problems that stop a run before the model is asked anything.
public struct RunError: AutofixError {
    public let message: String
    public let hint: String?
    public let category: ExitCategory

    /// The test command could not even start in the sandbox (exit 126 or 127): a model cannot fix
    /// that, and asking it would only spend tokens. `fix` is what the host shows of the program.
    static func testCommandNotRunnable(command: String, sandbox: SandboxBackendKind, exitCode: Int32, output: String,
                                       fix: String) -> RunError {
        let reason = exitCode == 127 ? "command not found" : "not executable"
        let tail = output.split(separator: "\n", omittingEmptySubsequences: true).suffix(5).joined(separator: "\n")
        return RunError(
            message: "the test command `\(command)` could not start in the \(sandbox.rawValue) sandbox (exit \(exitCode): \(reason))"
                + (tail.isEmpty ? "" : ":\n" + tail),
            hint: fix + "; try it with `git autofix sandbox -- \(command)`",
            category: .sandbox)
    }

    /// The baseline failed because of what the sandbox's environment lacks (a toolchain, an
    /// interpreter, a module the host has), not because of the code. Exit 4, as the sandbox's.
    static func sandboxEnvironment(_ problem: String, fix: String) -> RunError {
        RunError(message: problem, hint: fix, category: .sandbox)
    }

    /// A package whose dependencies were never fetched cannot build in the network-less
    /// sandbox; the baseline would fail on the fetch and the model would be asked to fix that.
    static func dependenciesNotFetched(workTree: URL, fetch: String) -> RunError {
        RunError(
            message: "this package's dependencies have not been fetched into \(workTree.path), and the sandbox has no network to fetch them",
            hint: "run `\(fetch)` there once, then run git autofix again",
            category: .usage)
    }
}
