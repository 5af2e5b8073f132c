/// What the tool knows about one language's project layout and toolchain, in one place: how to
/// recognise a project, how its tests run, where its tests live, what its tools write inside the
/// project, and where its toolchain keeps itself outside it.
public struct Ecosystem: Sendable, Equatable {
    public let name: String
    /// Files at a project's root that mark it, the most telling first.
    public let markers: [String]
    /// The command that runs its tests when nothing else says otherwise.
    public let testCommand: String
    /// Globs (`PathPolicy` syntax: a trailing `/` names a directory) matching its test files.
    public let testFileGlobs: [String]
    /// Directories its build and test tools fill inside a project; never source.
    public let buildDirectories: [String]
    /// Further caches its tools may write inside a project.
    public let cacheDirectories: [String]
    /// Project-local environments holding the toolchain's packages, the most common first.
    public let environmentDirectories: [String]
    /// Programs that run its builds and tests.
    public let runners: [String]
    /// Where its toolchain managers keep toolchains outside the project.
    public let toolchainHomes: [ToolchainHome]
    /// What its package manager fetched into a project, when it keeps that inside the project.
    public let fetchedDependencies: FetchedDependencyLayout?

    public init(name: String, markers: [String], testCommand: String, testFileGlobs: [String] = [],
                buildDirectories: [String] = [], cacheDirectories: [String] = [], environmentDirectories: [String] = [],
                runners: [String] = [], toolchainHomes: [ToolchainHome] = [], fetchedDependencies: FetchedDependencyLayout? = nil) {
        self.name = name
        self.markers = markers
        self.testCommand = testCommand
        self.testFileGlobs = testFileGlobs
        self.buildDirectories = buildDirectories
        self.cacheDirectories = cacheDirectories
        self.environmentDirectories = environmentDirectories
        self.runners = runners
        self.toolchainHomes = toolchainHomes
        self.fetchedDependencies = fetchedDependencies
    }
}

/// A directory a toolchain manager keeps toolchains in, named by an environment variable with a
/// default under HOME (rustup's `RUSTUP_HOME`, else `~/.rustup`).
public struct ToolchainHome: Sendable, Equatable {
    public let variable: String
    /// Relative to HOME.
    public let defaultPath: String
    /// Whether a sandbox needs all of it (rustup's proxies pick toolchains from it), not only
    /// the toolchain found inside.
    public let isNeededWhole: Bool

    public init(variable: String, defaultPath: String, isNeededWhole: Bool = false) {
        self.variable = variable
        self.defaultPath = defaultPath
        self.isNeededWhole = isNeededWhole
    }

    /// Where it is for a host environment, or nil when neither the variable nor HOME says.
    public func path(in environment: [String: String]) -> String? {
        if let set = environment[variable], set.hasPrefix("/") { return set }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return (home.hasSuffix("/") ? home : home + "/") + defaultPath
    }
}

/// How a package manager keeps what it fetched inside a project.
public struct FetchedDependencyLayout: Sendable, Equatable {
    /// Text in the manifest (the ecosystem's first marker) that declares a dependency.
    public let dependencyDeclaration: String
    /// Paths, relative to the project root, holding what it fetched.
    public let paths: [String]
    /// The path that exists once the dependencies were fetched.
    public let fetched: String
    public let fetchCommand: String

    public init(dependencyDeclaration: String, paths: [String], fetched: String, fetchCommand: String) {
        self.dependencyDeclaration = dependencyDeclaration
        self.paths = paths
        self.fetched = fetched
        self.fetchCommand = fetchCommand
    }
}

extension Ecosystem {
    public static let swiftPM = Ecosystem(
        name: "SwiftPM", markers: ["Package.swift"], testCommand: "swift test",
        testFileGlobs: ["Tests/", "*Tests.swift"],
        buildDirectories: [".build", ".swiftpm"],
        runners: ["swift"],
        // The fetched clones, their checkouts, its record of both, and the pins.
        fetchedDependencies: FetchedDependencyLayout(
            dependencyDeclaration: ".package(",
            paths: [".build/repositories", ".build/checkouts", ".build/workspace-state.json", "Package.resolved"],
            fetched: ".build/checkouts", fetchCommand: "swift package resolve"))

    public static let python = Ecosystem(
        name: "Python", markers: ["pyproject.toml", "pytest.ini", "setup.cfg", "setup.py", "tox.ini"],
        testCommand: "python -m pytest -q",
        testFileGlobs: ["test_*.py", "*_test.py"],
        buildDirectories: ["__pycache__", ".pytest_cache", ".mypy_cache", ".tox"],
        cacheDirectories: [".ruff_cache", ".hypothesis", ".nox", ".eggs"],
        environmentDirectories: [".venv", "venv", "env"],
        runners: ["python", "python3", "pytest"],
        toolchainHomes: [ToolchainHome(variable: "PYENV_ROOT", defaultPath: ".pyenv")])

    public static let go = Ecosystem(
        name: "Go", markers: ["go.mod"], testCommand: "go test ./...",
        testFileGlobs: ["*_test.go"],
        runners: ["go"])

    public static let cargo = Ecosystem(
        name: "Cargo", markers: ["Cargo.toml"], testCommand: "cargo test",
        buildDirectories: ["target"],
        runners: ["cargo"],
        // rustup's proxies (~/.cargo/bin/cargo) find the toolchain through RUSTUP_HOME.
        toolchainHomes: [ToolchainHome(variable: "RUSTUP_HOME", defaultPath: ".rustup", isNeededWhole: true),
                         ToolchainHome(variable: "CARGO_HOME", defaultPath: ".cargo", isNeededWhole: true)])

    public static let npm = Ecosystem(
        name: "npm", markers: ["package.json"], testCommand: "npm test",
        testFileGlobs: ["__tests__/", "*.test.js", "*.test.ts", "*.test.tsx", "*.spec.js", "*.spec.ts"],
        buildDirectories: ["node_modules"],
        cacheDirectories: [".parcel-cache", ".next", ".turbo", "coverage", ".nyc_output"],
        runners: ["node", "npm", "npx"],
        toolchainHomes: [ToolchainHome(variable: "NVM_DIR", defaultPath: ".nvm")])

    /// In the order a project's test command is chosen when it has several markers.
    public static let all: [Ecosystem] = [.swiftPM, .python, .go, .cargo, .npm]

    /// Test directories shared by several languages, and test files of languages without an entry.
    public static let otherTestFileGlobs = ["test/", "tests/", "spec/", "*Test.java", "*Tests.java"]
    /// Build output of many tools (and of languages without an entry).
    public static let sharedBuildDirectories = ["dist", "build"]
    public static let otherCacheDirectories = [".gradle", ".cache", "_build", "zig-cache", ".zig-cache"]
    public static let otherRunners = ["ruby", "java"]

    /// Every test file glob, directories first: a refusal names the first glob that matches.
    public static var allTestFileGlobs: [String] {
        let globs = otherTestFileGlobs + all.flatMap(\.testFileGlobs)
        return globs.filter { $0.hasSuffix("/") } + globs.filter { !$0.hasSuffix("/") }
    }

    /// Directories that hold build output, caches or environments, never the project's source.
    public static var generatedDirectories: Set<String> {
        Set(all.flatMap { $0.buildDirectories + $0.environmentDirectories } + sharedBuildDirectories)
    }

    /// Directories whose content may be rebuilt at any time: build output and caches.
    public static var cacheAreas: Set<String> {
        Set(all.flatMap { $0.buildDirectories + $0.cacheDirectories } + sharedBuildDirectories + otherCacheDirectories)
    }

    public static var allRunners: Set<String> {
        Set(all.flatMap(\.runners) + otherRunners)
    }
}
