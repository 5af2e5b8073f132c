import ArgumentParser
import AutofixCore

/// The model server and sandbox flags of `run` and `doctor`: doctor checks what a run with the
/// same flags would use.
struct ModelAndSandboxOptions: ParsableArguments {
    @Option(help: ArgumentHelp("OpenAI-compatible base URL (default \(SettingDefaults.endpoint)).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Model name (default \(SettingDefaults.model)).", valueName: "name"))
    var model: String?

    @Option(help: ArgumentHelp("Where tests run: \(SettingDefaults.sandbox.rawValue) (default), docker, podman, or none (no isolation).", valueName: "backend"))
    var sandbox: String?

    func apply(to flags: inout RepairFlags) {
        flags.endpoint = endpoint
        flags.model = model
        flags.sandbox = sandbox
    }
}

/// `--test-timeout`, shared by `run` and `sandbox`, which run the tests the same way.
struct TestTimeoutOption: ParsableArguments {
    @Option(help: ArgumentHelp("Time limit for one test run, e.g. 90s or 10m (default 10m).", valueName: "duration"))
    var testTimeout: String?
}
