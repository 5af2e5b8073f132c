import Foundation

/// Finds executables SwiftPM built next to the running test bundle.
public enum BuiltProducts {
    public static var directory: URL {
        // On Linux the test runner is `<build dir>/<package>PackageTests.xctest`.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidate = runner.deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: candidate.appendingPathComponent("git-autofix").path) {
            candidate = candidate.deletingLastPathComponent()
        }
        return candidate
    }

    public static func executable(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }
}

/// Runs the built `git-autofix` binary as a user would, in the hermetic environment.
public enum AutofixCLI {
    @discardableResult
    public static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], input: String? = nil
    ) throws -> Shell.Output {
        var env = Hermetic.environment
        for (key, value) in environment { env[key] = value }
        return try Shell.run([BuiltProducts.executable("git-autofix").path] + arguments,
                             in: directory, environment: env, input: input)
    }
}
