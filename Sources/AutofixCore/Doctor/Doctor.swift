import AutofixGit
import AutofixModel
import AutofixSandbox
import AutofixSupport
import Foundation

/// Runs the checks in order; each one is independent, so one failure never hides the others.
public struct Doctor {
    /// The oldest git whose `rev-parse --path-format` the hook relies on.
    static let minimumGit = [2, 31]

    let flags: RepairFlags
    var environment: [String: String]
    var directory: URL
    /// Run the test command once in the sandbox (`--no-test-run` turns it off).
    var runsTests: Bool

    public init(flags: RepairFlags, environment: [String: String] = ProcessInfo.processInfo.environment,
                directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true),
                runsTests: Bool = true) {
        self.flags = flags
        self.runsTests = runsTests
        self.environment = environment
        self.directory = directory
    }

    public func run() async -> [DoctorCheck] {
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
        let resolver = resolver(flags: flags, repository: repository)
        let settings = repository.map { resolveSettings(in: $0) }
        if let settings { checks.append(settings.check) }
        let sandbox = await sandboxCheck(resolver)
        checks.append(sandbox)
        checks += await endpointChecks(settings?.value, resolver)
        if let repository {
            let command = testCommand(in: repository)
            checks.append(command)
            checks.append(await testRun(in: repository, settings: settings?.value, command: command, sandbox: sandbox))
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
        guard let output = GitCommandLine.output(["--version"], in: directory) else {
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

    /// The one resolver a run uses too; outside a repository there is no git config to read.
    func resolver(flags: RepairFlags, repository: Repository?) -> SettingsResolver {
        guard let repository else {
            return SettingsResolver(flags: flags, environment: environment, projectRoot: directory, config: { _ in nil })
        }
        return SettingsResolver(
            flags: flags, environment: environment, projectRoot: repository.workingDirectory ?? directory,
            config: { try repository.configString($0) }, configList: { try repository.configStrings($0) })
    }

    func resolveSettings(in repository: Repository) -> Resolved {
        var flags = self.flags
        do {
            // A missing test command has its own line below; do not let it hide the other settings.
            if try resolver(flags: flags, repository: repository).configuredTestCommand() == nil,
               TestCommandDetector().detect(in: repository.workingDirectory ?? directory) == nil {
                flags.test = ":"
            }
            let settings = try resolver(flags: flags, repository: repository).resolve()
            return Resolved(value: settings, check: .ok("settings", "endpoint \(ModelEndpoint.redacted(settings.endpoint)), model \(settings.model), sandbox \(settings.sandbox.rawValue)"))
        } catch let error as AutofixError {
            return Resolved(value: nil, check: .fail("settings", error.message, fix: error.hint ?? "correct the setting with git config", error.category))
        } catch {
            return Resolved(value: nil, check: .fail("settings", "\(error)", fix: nil, .usage))
        }
    }

    // MARK: Sandbox, endpoint and model

    /// Runs `true` in the backend a run would use.
    func sandboxCheck(_ resolver: SettingsResolver) async -> DoctorCheck {
        let sandbox: SandboxSettings
        do {
            sandbox = try resolver.sandboxSettings()
        } catch {
            return .fail("sandbox", error)
        }
        let kind = sandbox.backend
        if kind == .none {
            return .warn("sandbox", "none: tests run unconfined, with your network and your files",
                         fix: "git config \(ConfigKey.sandbox) bwrap   (or docker, podman)")
        }
        switch await SandboxFactory.probe(kind, image: sandbox.image, runtime: sandbox.runtime) {
        case .ok(let seconds):
            return .ok("sandbox", "\(kind.rawValue): ran a command in \(DurationText.format(seconds))")
        case .failed(let error):
            return .fail("sandbox", "\(kind.rawValue): \(error.message)", fix: error.hint, error.category)
        }
    }

    /// Lists the endpoint's models, then asks the model for one token. Short timeouts and no
    /// retries: doctor reports what is wrong now instead of waiting it out.
    func endpointChecks(_ settings: RepairSettings?, _ resolver: SettingsResolver) async -> [DoctorCheck] {
        // Without the whole settings (one of them is wrong, and has its own line) the endpoint and
        // model are still resolved as a run resolves them.
        let configuredURL = settings?.endpoint ?? (try? resolver.endpoint()) ?? SettingDefaults.endpoint
        // Credentials in the URL are used, never shown.
        let url = ModelEndpoint.redacted(configuredURL)
        let model = settings?.model ?? (try? resolver.model()) ?? SettingDefaults.model
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
            let shown = models.prefix(5).map(TerminalSafeText.line).joined(separator: ", ") + (models.count > 5 ? ", ..." : "")
            let fix = ShellWord.quotedForPasting(models[0]).map { "git config \(ConfigKey.model) \($0)   (or pass --model)" }
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

    public static func describe(_ error: Error) -> (message: String, hint: String?) {
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
            configured = try resolver(flags: flags, repository: repository).configuredTestCommand()
        } catch {
            return .fail("test command", error)
        }
        if let configured {
            (command, source) = (configured, "git config \(ConfigKey.testCommand)")
        } else if let detected = TestCommandDetector().detect(in: root) {
            (command, source) = (detected.command, "detected from \(detected.reason)")
        } else {
            return .fail("test command", "none configured, and nothing at \(root.path) says how to run the tests",
                         fix: "git config \(ConfigKey.testCommand) '<command>'", .usage)
        }
        if let program = Self.program(of: command), !program.contains("/"), !TestCommandDetector.onPath(program),
           !Self.shellWords.contains(program) {
            return .warn("test command", "\(command) (\(source)), but `\(program)` is not on PATH",
                         fix: "install \(program), or set the command: git config \(ConfigKey.testCommand) '<command>'")
        }
        if let fetch = FetchedDependencies.fetchCommandIfMissing(in: root) {
            return .warn("test command", "\(command) (\(source)), but this package's dependencies are not fetched, and the sandbox has no network to fetch them",
                         fix: "\(fetch)   (in \(root.path), once)")
        }
        return .ok("test command", "\(command) (\(source))")
    }

    /// The test command once, as a run's baseline, when the checks before it leave it a chance.
    func testRun(in repository: Repository, settings: RepairSettings?, command: DoctorCheck, sandbox: DoctorCheck) async -> DoctorCheck {
        guard runsTests else { return .skip(TestRunCheck.name, "not run (--no-test-run)") }
        guard command.verdict != .fail else { return .skip(TestRunCheck.name, "not run: no test command") }
        guard let settings else { return .skip(TestRunCheck.name, "not run: the settings are not usable") }
        guard sandbox.verdict != .fail else { return .skip(TestRunCheck.name, "not run: the sandbox does not work") }
        // A run stops before its tests here too.
        if let workTree = repository.workingDirectory,
           FetchedDependencies.fetchCommandIfMissing(in: workTree, testCommand: settings.testCommand) != nil {
            return .skip(TestRunCheck.name, "not run: the dependencies are not fetched")
        }
        return await TestRunCheck(repository: repository, settings: settings, environment: environment).run()
    }

    /// The program a shell command line starts with, after any `NAME=value` assignments.
    static func program(of command: String) -> String? {
        command.split(separator: " ").map(String.init).first { !$0.contains("=") }
    }

    static let shellWords: Set<String> = ["cd", "exec", "env", "test", "[", ":", "true", "false", "echo", "set", "export", "."]

    func hook(in repository: Repository) -> DoctorCheck {
        let status: HookStatus
        do {
            status = try PrePushHook(location: try HooksLocation(repository: repository)).status()
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
            let settings = resolver(flags: flags, repository: repository)
            mode = try settings.prePushSetting()
            testCommand = try settings.configuredTestCommand()
        } catch {
            return .fail("pre-push hook", error)
        }
        guard PrePushMode(rawValue: mode) != nil else {
            return .warn("pre-push hook", "\(ConfigKey.prePush) is `\(mode)`; the hook treats it as \(SettingDefaults.prePush.rawValue)",
                         fix: "git config \(ConfigKey.prePush) block   (or warn, or fix)")
        }
        if testCommand == nil {
            return .warn("pre-push hook", "installed, but it tests nothing until \(ConfigKey.testCommand) is set",
                         fix: "git config \(ConfigKey.testCommand) '<command>'")
        }
        return .ok("pre-push hook", "installed in \(status.file.path), on failure: \(mode)")
    }
}
