import Foundation

/// Runs programs the way a user's shell would, for tests and benchmarks. Not for product code:
/// the product runs user commands only through AutofixSandbox.
public enum Shell {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var succeeded: Bool { status == 0 }
    }

    /// Runs `arguments[0]` found on PATH, with `environment` (defaults to the hermetic one).
    @discardableResult
    public static func run(
        _ arguments: [String],
        in directory: URL? = nil,
        environment: [String: String]? = nil,
        input: String? = nil
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = environment ?? Hermetic.environment
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot dead-lock on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    /// Like `run`, but throws with both output streams when the program fails.
    @discardableResult
    public static func check(
        _ arguments: [String],
        in directory: URL? = nil,
        environment: [String: String]? = nil,
        input: String? = nil
    ) throws -> String {
        let output = try run(arguments, in: directory, environment: environment, input: input)
        guard output.succeeded else {
            throw ShellFailure(arguments: arguments, output: output)
        }
        return output.stdout
    }
}

public struct ShellFailure: Error, CustomStringConvertible {
    public let arguments: [String]
    public let output: Shell.Output
    public var description: String {
        "`\(arguments.joined(separator: " "))` exited \(output.status)\nstdout: \(output.stdout)\nstderr: \(output.stderr)"
    }
}
