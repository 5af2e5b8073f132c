import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSupport
import Foundation

/// Runs a command body, turning our errors into a message on stderr and the documented exit code.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as AutofixError {
        throw report(error)
    } catch is CancellationError {
        // Ctrl-C before a run began (once it has begun, the run itself ends as interrupted).
        Terminal.current.err("Interrupted before anything was started; nothing was recorded.")
        throw ExitCode(130)
    } catch {
        throw report(unexpected: error)
    }
}

func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as AutofixError {
        throw report(error)
    } catch {
        throw report(unexpected: error)
    }
}

/// An error no module turned into one of ours (a file the tool could not write, say) must not
/// reach ArgumentParser, which would exit 1, the code for "tests still failing". Exit codes and
/// clean exits the command chose itself pass through.
private func report(unexpected error: Error) -> Error {
    if error is ExitCode || error is CleanExit { return error }
    Terminal.current.err(Terminal.current.paint("git-autofix: error: ", .red) + describe(unexpected: error).terminalSafe)
    Terminal.current.err("hint: check the disk space and permissions of the repository's .git directory and of TMPDIR")
    return ExitCode(ExitCategory.git.rawValue)
}

/// Prints `error` (what happened, then what to do) and returns the exit code to throw. Messages
/// carry what servers, files and git said, so they are made safe to print.
private func report(_ error: AutofixError) -> ExitCode {
    Terminal.current.err(Terminal.current.paint("git-autofix: error: ", .red) + error.message.terminalSafe)
    if let hint = error.hint { Terminal.current.err("hint: \(hint.terminalSafe)") }
    return ExitCode(error.category.rawValue)
}

/// Foundation's file errors say "The operation could not be completed"; the path and the
/// system's reason are what a user can act on.
private func describe(unexpected error: Error) -> String {
    let nsError = error as NSError
    guard let path = nsError.userInfo[NSFilePathErrorKey] as? String else { return "\(error)" }
    let underlying = (nsError.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
    let reason = underlying.map { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : $0.localizedDescription }
    return "a file operation on \(path) failed" + (reason.map { ": \($0)" } ?? "")
}

/// The repository the command was started in.
func currentRepository() throws -> Repository {
    try Repository.discover(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
}
