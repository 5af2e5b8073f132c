import ArgumentParser
import AutofixCore
import Foundation

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that everything a run needs works here, and say how to fix what does not.",
        discussion: """
            Checks the libgit2 and libcurl versions, the git command the hook uses, the settings, \
            the sandbox backend, the endpoint and model, the test command for this repository and \
            the pre-push hook. Each line is OK, WARN, FAIL or SKIP, with the fix for each problem. \
            Exits 0 when nothing failed, else with the exit status of the first failure's kind.
            """
    )

    @Option(help: ArgumentHelp("Check this endpoint instead of the configured one.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Check this model instead of the configured one.", valueName: "name"))
    var model: String?

    @Option(help: ArgumentHelp("Check this sandbox backend (bwrap, docker, podman, none).", valueName: "kind"))
    var sandbox: String?

    @Flag(help: "Print one JSON object per check, one per line.")
    var json = false

    func run() async throws {
        var flags = RepairFlags()
        flags.endpoint = endpoint
        flags.model = model
        flags.sandbox = sandbox
        let checks = await Doctor(flags: flags).run()
        let terminal = Terminal.current
        for check in checks {
            if json {
                terminal.json(check)
            } else {
                terminal.out(DoctorText.line(check, terminal: terminal))
            }
        }
        if let failure = checks.first(where: { $0.verdict == .fail }) {
            throw ExitCode(failure.category.rawValue)
        }
    }
}

/// One line of the report.
struct DoctorCheck: Encodable {
    enum Verdict: String, Encodable { case ok = "OK", warn = "WARN", fail = "FAIL", skip = "SKIP" }

    let name: String
    let verdict: Verdict
    let detail: String
    let fix: String?
    /// The exit status a failure of this check stands for.
    let category: ExitCategory

    enum CodingKeys: String, CodingKey { case name, verdict = "status", detail, fix, exitCode }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(detail, forKey: .detail)
        try container.encodeIfPresent(fix, forKey: .fix)
        if verdict == .fail { try container.encode(category.rawValue, forKey: .exitCode) }
    }

    static func ok(_ name: String, _ detail: String, _ category: ExitCategory = .success) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .ok, detail: detail, fix: nil, category: category)
    }

    static func warn(_ name: String, _ detail: String, fix: String?, _ category: ExitCategory = .success) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .warn, detail: detail, fix: fix, category: category)
    }

    static func fail(_ name: String, _ detail: String, fix: String?, _ category: ExitCategory) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .fail, detail: detail, fix: fix, category: category)
    }

    /// A check that could not be made because of `error` (e.g. a git config git cannot read).
    static func fail(_ name: String, _ error: Error) -> DoctorCheck {
        let failure = Doctor.describe(error)
        return .fail(name, failure.message, fix: failure.hint, (error as? AutofixError)?.category ?? .usage)
    }

    static func skip(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .skip, detail: detail, fix: nil, category: .success)
    }

    /// For a piece this build does not contain yet.
    static func unavailable(_ name: String, _ subject: String) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .skip, detail: "\(subject) (not available in this build)", fix: nil, category: .success)
    }
}

enum DoctorText {
    static func line(_ check: DoctorCheck, terminal: Terminal) -> String {
        let style: Terminal.Style
        switch check.verdict {
        case .ok: style = .green
        case .warn: style = .yellow
        case .fail: style = .red
        case .skip: style = .dim
        }
        let label = check.verdict.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
        let name = check.name.padding(toLength: 14, withPad: " ", startingAt: 0)
        // Details quote what servers, git and the settings said.
        var line = terminal.paint(label, style) + " " + name + " " + check.detail.terminalSafe
        if let fix = check.fix { line += "\n" + String(repeating: " ", count: 21) + "fix: " + fix.terminalSafe }
        return line
    }
}

/// Runs the checks in order; each one is independent, so one failure never hides the others.
struct Doctor {
    /// The oldest git whose `rev-parse --path-format` the hook relies on.
    static let minimumGit = [2, 31]

    let flags: RepairFlags
    var environment = ProcessInfo.processInfo.environment
    var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)

    func run() async -> [DoctorCheck] {
        var checks = [libgit2(), libcurl(), gitCommand()]
        let repository: Repository?
        do {
            repository = try Repository.discover(from: directory)
        } catch {
            repository = nil
            let message = (error as? AutofixError)?.message ?? "\(error)"
            checks.append(.warn("repository", message + "; the checks for a repository are skipped",
                                fix: "run git autofix doctor inside the repository you want to fix"))
        }
        let settings = repository.map { resolveSettings(in: $0) }
        if let settings { checks.append(settings.check) }
        checks.append(await sandboxCheck(settings?.value))
        checks += await endpointChecks(settings?.value)
        if let repository {
            checks.append(testCommand(in: repository))
            checks.append(hook(in: repository))
        }
        return checks
    }

    // MARK: Libraries and tools

    func libgit2() -> DoctorCheck {
        .ok("libgit2", GitLibrary.version)
    }

    func libcurl() -> DoctorCheck {
        .ok("libcurl", CurlLibrary.version)
    }

    func gitCommand() -> DoctorCheck {
        guard let output = GitQuery.run(["--version"], in: directory) else {
            return .fail("git", "the git command is not on PATH", fix: "install git (the hook and `git autofix` itself run through it)", .git)
        }
        let version = output.replacingOccurrences(of: "git version ", with: "")
        let numbers = version.split(separator: ".").prefix(2).compactMap { Int($0.prefix { $0.isNumber }) }
        if numbers.lexicographicallyPrecedes(Self.minimumGit) {
            return .warn("git", "\(version) is older than \(Self.minimumGit.map(String.init).joined(separator: ".")), which the pre-push hook needs",
                         fix: "upgrade git")
        }
        return .ok("git", version)
    }

    // MARK: Settings

    struct Resolved {
        let value: RepairSettings?
        let check: DoctorCheck
    }

    func resolveSettings(in repository: Repository) -> Resolved {
        var flags = self.flags
        do {
            // A missing test command has its own line below; do not let it hide the other settings.
            if try repository.configString("autofix.testCommand") == nil,
               TestCommandDetector().detect(in: repository.workingDirectory ?? directory) == nil {
                flags.test = ":"
            }
            let resolver = SettingsResolver(
                flags: flags, environment: environment, projectRoot: repository.workingDirectory ?? directory,
                config: { try repository.configString($0) }, configList: { try repository.configStrings($0) })
            let settings = try resolver.resolve()
            return Resolved(value: settings, check: .ok("settings", "endpoint \(ModelEndpoint.redacted(settings.endpoint)), model \(settings.model), sandbox \(settings.sandbox.rawValue)"))
        } catch let error as AutofixError {
            return Resolved(value: nil, check: .fail("settings", error.message, fix: error.hint ?? "correct the setting with git config", error.category))
        } catch {
            return Resolved(value: nil, check: .fail("settings", "\(error)", fix: nil, .usage))
        }
    }

    // MARK: Sandbox, endpoint and model

    /// Runs `true` in the backend a run would use.
    func sandboxCheck(_ settings: RepairSettings?) async -> DoctorCheck {
        let name = settings?.sandbox.rawValue ?? flags.sandbox ?? SandboxBackendKind.bwrap.rawValue
        guard let kind = SandboxBackendKind(rawValue: name) else {
            return .fail("sandbox", "unknown sandbox `\(name)`",
                         fix: "choose one of: \(SandboxBackendKind.allCases.map(\.rawValue).joined(separator: ", "))", .usage)
        }
        if kind == .none {
            return .warn("sandbox", "none: tests run unconfined, with your network and your files",
                         fix: "git config autofix.sandbox bwrap   (or docker, podman)")
        }
        let sandbox = settings?.sandboxSettings
        switch await SandboxFactory.probe(kind, image: sandbox?.image, runtime: sandbox?.runtime) {
        case .ok(let seconds):
            return .ok("sandbox", "\(kind.rawValue): ran a command in \(DurationText.format(seconds))")
        case .failed(let error):
            return .fail("sandbox", "\(kind.rawValue): \(error.message)", fix: error.hint, error.category)
        }
    }

    /// Lists the endpoint's models, then asks the model for one token. Short timeouts and no
    /// retries: doctor reports what is wrong now instead of waiting it out.
    func endpointChecks(_ settings: RepairSettings?) async -> [DoctorCheck] {
        let configuredURL = settings?.endpoint ?? flags.endpoint ?? environment["AUTOFIX_ENDPOINT"] ?? RepairSettings.defaultEndpoint
        // Credentials in the URL are used, never shown.
        let url = ModelEndpoint.redacted(configuredURL)
        let model = settings?.model ?? flags.model ?? environment["AUTOFIX_MODEL"] ?? RepairSettings.defaultModel
        var endpoint: ModelEndpoint
        do {
            endpoint = try ModelEndpoint.resolved(baseURL: configuredURL, environment: environment, apiKeyVariable: settings?.apiKeyVariable,
                                                  caInfo: settings?.sslCAInfo)
        } catch let error as AutofixError {
            return [.fail("endpoint", "\(url): \(error.message)", fix: error.hint, error.category),
                    .skip("model", "\(model): not checked, the endpoint is not usable")]
        } catch {
            return [.fail("endpoint", "\(url): \(error)", fix: nil, .model), .skip("model", "\(model): not checked")]
        }
        endpoint.connectTimeout = 5
        endpoint.idleTimeout = 60
        endpoint.totalTimeout = 90
        endpoint.maxRetries = 0
        let client = OpenAICompatibleClient(endpoint: endpoint)
        let key = endpoint.apiKeySource.map { "API key from \($0)" } ?? "no API key"

        let models: [String]
        do {
            models = try await client.listModels()
        } catch {
            let failure = Self.describe(error)
            let detail = failure.message.contains(url) ? failure.message : "\(url): \(failure.message)"
            return [.fail("endpoint", detail, fix: failure.hint, (error as? AutofixError)?.category ?? .model),
                    .skip("model", "\(model): not checked, the endpoint did not answer")]
        }
        let listed = models.count == 1 ? "1 model" : "\(models.count) models"
        let endpointCheck = DoctorCheck.ok("endpoint", "\(url): lists \(listed) (\(key))")
        if !models.isEmpty, !models.contains(model) {
            let shown = models.prefix(5).map(\.terminalSafeLine).joined(separator: ", ") + (models.count > 5 ? ", ..." : "")
            let fix = ShellWord.quotedForPasting(models[0]).map { "git config autofix.model \($0)   (or pass --model)" }
                ?? "pass --model with a model the endpoint serves (its first id holds control characters, so no command to paste is shown)"
            return [endpointCheck, .fail("model", "\(model) is not served here; the endpoint lists \(shown)", fix: fix, .model)]
        }
        do {
            let probe = try await client.probe(model: model)
            return [endpointCheck, .ok("model", "\(model): answered a one-token request in \(DurationText.format(probe.latency))")]
        } catch {
            let failure = Self.describe(error)
            return [endpointCheck, .fail("model", "\(model): \(failure.message)", fix: failure.hint, .model)]
        }
    }

    static func describe(_ error: Error) -> (message: String, hint: String?) {
        if let error = error as? AutofixError { return (error.message, error.hint) }
        return ("\(error)", nil)
    }

    // MARK: This repository

    func testCommand(in repository: Repository) -> DoctorCheck {
        let root = repository.workingDirectory ?? directory
        let command: String
        let source: String
        let configured: String?
        do {
            configured = try repository.configString("autofix.testCommand")
        } catch {
            return .fail("test command", error)
        }
        if let configured, !configured.isEmpty {
            (command, source) = (configured, "git config autofix.testCommand")
        } else if let detected = TestCommandDetector().detect(in: root) {
            (command, source) = (detected.command, "detected from \(detected.reason)")
        } else {
            return .fail("test command", "none configured, and nothing at \(root.path) says how to run the tests",
                         fix: "git config autofix.testCommand '<command>'", .usage)
        }
        if let program = Self.program(of: command), !program.contains("/"), !TestCommandDetector.onPath(program),
           !Self.shellWords.contains(program) {
            return .warn("test command", "\(command) (\(source)), but `\(program)` is not on PATH",
                         fix: "install \(program), or set the command: git config autofix.testCommand '<command>'")
        }
        if let fetch = FetchedDependencies.fetchCommandIfMissing(in: root) {
            return .warn("test command", "\(command) (\(source)), but this package's dependencies are not fetched, and the sandbox has no network to fetch them",
                         fix: "\(fetch)   (in \(root.path), once)")
        }
        return .ok("test command", "\(command) (\(source))")
    }

    /// The program a shell command line starts with, after any `NAME=value` assignments.
    static func program(of command: String) -> String? {
        command.split(separator: " ").map(String.init).first { !$0.contains("=") }
    }

    static let shellWords: Set<String> = ["cd", "exec", "env", "test", "[", ":", "true", "false", "echo", "set", "export", "."]

    func hook(in repository: Repository) -> DoctorCheck {
        let status: PrePushHook.Status
        do {
            status = try PrePushHook(location: try HooksLocation.discover(from: repository.workingDirectory ?? directory)).status()
        } catch let error as AutofixError {
            return .fail("pre-push hook", error.message, fix: error.hint, error.category)
        } catch {
            return .fail("pre-push hook", "\(error)", fix: nil, .usage)
        }
        if !status.installed {
            return .warn("pre-push hook", "not installed (\(status.file.path))", fix: "git autofix hook install")
        }
        if !status.active {
            return .fail("pre-push hook", status.summary, fix: status.advice, .usage)
        }
        let mode: String
        let testCommand: String?
        do {
            mode = try repository.configString("autofix.prePush") ?? "block"
            testCommand = try repository.configString("autofix.testCommand")
        } catch {
            return .fail("pre-push hook", error)
        }
        guard ["block", "warn", "fix"].contains(mode) else {
            return .warn("pre-push hook", "autofix.prePush is `\(mode)`; the hook treats it as block",
                         fix: "git config autofix.prePush block   (or warn, or fix)")
        }
        if testCommand?.isEmpty ?? true {
            return .warn("pre-push hook", "installed, but it tests nothing until autofix.testCommand is set",
                         fix: "git config autofix.testCommand '<command>'")
        }
        return .ok("pre-push hook", "installed in \(status.file.path), on failure: \(mode)")
    }
}
