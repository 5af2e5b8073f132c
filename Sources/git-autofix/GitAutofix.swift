import ArgumentParser
import AutofixCore

@main
struct GitAutofix: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-autofix",
        abstract: "Let a language model fix failing tests on a scratch branch, without touching your work.",
        version: AutofixVersion.string,
        subcommands: [
            RunCommand.self, SnapshotCommand.self, ListCommand.self, ShowCommand.self, ApplyCommand.self, DropCommand.self,
            SandboxCommand.self,
            HookCommand.self,
            DoctorCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )
}
