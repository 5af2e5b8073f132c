import ArgumentParser
import AutofixCore
import AutofixSupport

/// The root command; the `git-autofix` executable only calls its `main()`.
public struct GitAutofix: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "git-autofix",
        abstract: "Let a language model fix failing tests on a scratch branch, without touching your work.",
        version: AutofixVersion.string,
        subcommands: [
            RunCommand.self, SnapshotCommand.self, ListCommand.self, ShowCommand.self, ApplyCommand.self, DropCommand.self,
            FixupCommand.self,
            SandboxCommand.self,
            HookCommand.self,
            DoctorCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )

    public init() {}

    /// Parses the command line, runs the command it names and exits with its status. (Called from
    /// another module, `main()` would be ArgumentParser's synchronous one, which cannot run an
    /// async command.)
    public static func start() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
