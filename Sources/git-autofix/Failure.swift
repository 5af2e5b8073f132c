import ArgumentParser
import AutofixCore
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
    }
}

func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as AutofixError {
        throw report(error)
    }
}

/// Prints `error` (what happened, then what to do) and returns the exit code to throw. Messages
/// carry what servers, files and git said, so they are made safe to print.
private func report(_ error: AutofixError) -> ExitCode {
    Terminal.current.err(Terminal.current.paint("git-autofix: error: ", .red) + error.message.terminalSafe)
    if let hint = error.hint { Terminal.current.err("hint: \(hint.terminalSafe)") }
    return ExitCode(error.category.rawValue)
}

/// The repository the command was started in.
func currentRepository() throws -> Repository {
    try Repository.discover(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
}
