import AutofixCore
import AutofixSupport
import AutofixTestSupport
import XCTest

final class SettingsTests: XCTestCase {
    private func resolver(_ flags: RepairFlags = RepairFlags(), env: [String: String] = [:], config: [String: String] = [:],
                          lists: [String: [String]] = [:], root: URL) -> SettingsResolver {
        SettingsResolver(flags: flags, environment: env, projectRoot: root, config: { config[$0] },
                         configList: { lists[$0] ?? [] }, detector: TestCommandDetector(isOnPath: { _ in false }))
    }

    func testDefaultsFollowTheReferenceDeployment() throws {
        let dir = try TemporaryDirectory()
        try "// swift-tools-version:5.9\n".write(to: dir.file("Package.swift"), atomically: true, encoding: .utf8)
        let settings = try resolver(root: dir.url).resolve()
        XCTAssertEqual(settings.endpoint, "http://localhost:8000/v1")
        XCTAssertEqual(settings.model, "mistralai/Devstral-Small-2505")
        XCTAssertEqual(settings.temperature, 0.15)
        XCTAssertEqual(settings.topP, 0.95)
        XCTAssertEqual(settings.maxDiffTokens, 2048)
        XCTAssertEqual(settings.maxRounds, 10)
        XCTAssertEqual(settings.sandbox, .bwrap)
        XCTAssertEqual(settings.editFormat, .diff)
        XCTAssertEqual(settings.testTimeout, 600)
        XCTAssertNil(settings.timeout)
        XCTAssertEqual(settings.testCommand, "swift test")
        XCTAssertEqual(settings.testCommandSource, "detected from Package.swift")
    }

    func testTheContextWindowComesFromTheFlagThenGitConfigElseTheServer() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "make check"
        XCTAssertNil(try resolver(flags, root: dir.url).resolve().contextTokens, "nil: the server's report decides")
        XCTAssertEqual(try resolver(flags, config: ["autofix.contextTokens": "16384"], root: dir.url).resolve().contextTokens, 16_384)
        flags.contextTokens = 8_192
        XCTAssertEqual(try resolver(flags, config: ["autofix.contextTokens": "16384"], root: dir.url).resolve().contextTokens, 8_192)
        flags.contextTokens = 100
        XCTAssertThrowsError(try resolver(flags, root: dir.url).resolve()) {
            XCTAssertTrue("\($0)".contains("--context-tokens must be at least 1024"), "\($0)")
        }
        flags.contextTokens = nil
        XCTAssertThrowsError(try resolver(flags, config: ["autofix.contextTokens": "lots"], root: dir.url).resolve())
    }

    func testAConfigThatCannotBeReadStopsTheRunInsteadOfFallingBackToDefaults() throws {
        struct Unreadable: Error {}
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "make check"
        let resolver = SettingsResolver(flags: flags, environment: [:], projectRoot: dir.url,
                                        config: { _ in throw Unreadable() }, configList: { _ in [] })
        XCTAssertThrowsError(try resolver.resolve()) { XCTAssertTrue($0 is Unreadable, "\($0)") }
        let lists = SettingsResolver(flags: flags, environment: [:], projectRoot: dir.url,
                                     config: { _ in nil }, configList: { _ in throw Unreadable() })
        XCTAssertThrowsError(try lists.resolve()) { XCTAssertTrue($0 is Unreadable, "\($0)") }
    }

    func testFlagsBeatEnvironmentWhichBeatsGitConfig() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.model = "from-flag"
        let config = ["autofix.model": "from-config", "autofix.endpoint": "http://config/v1", "autofix.testCommand": "make check",
                      "autofix.maxRounds": "7", "autofix.testTimeout": "2m"]
        let env = ["AUTOFIX_MODEL": "from-env", "AUTOFIX_ENDPOINT": "http://env/v1"]
        let settings = try resolver(flags, env: env, config: config, root: dir.url).resolve()
        XCTAssertEqual(settings.model, "from-flag")
        XCTAssertEqual(settings.endpoint, "http://env/v1")
        XCTAssertEqual(settings.testCommand, "make check")
        XCTAssertEqual(settings.testCommandSource, "git config autofix.testCommand")
        XCTAssertEqual(settings.maxRounds, 7)
        XCTAssertEqual(settings.testTimeout, 120)
    }

    func testWarmBuildsAreOnUnlessTheFlagOrGitConfigTurnsThemOff() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "true"
        XCTAssertNil(try resolver(flags, root: dir.url).resolve().warmBuildsOffBy)
        XCTAssertNil(try resolver(flags, config: ["autofix.warmBuilds": "yes"], root: dir.url).resolve().warmBuildsOffBy)
        XCTAssertEqual(try resolver(flags, config: ["autofix.warmBuilds": "false"], root: dir.url).resolve().warmBuildsOffBy,
                       "autofix.warmBuilds is false")
        flags.noWarmBuilds = true
        XCTAssertEqual(try resolver(flags, config: ["autofix.warmBuilds": "true"], root: dir.url).resolve().warmBuildsOffBy,
                       "--no-warm-builds")
        flags.noWarmBuilds = false
        XCTAssertThrowsError(try resolver(flags, config: ["autofix.warmBuilds": "sometimes"], root: dir.url).resolve()) { error in
            XCTAssertTrue((error as? UsageError)?.message.contains("autofix.warmBuilds") ?? false)
        }
    }

    func testBadValuesAreUsageErrorsThatNameTheSetting() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "true"
        flags.maxRounds = 51
        XCTAssertThrowsError(try resolver(flags, root: dir.url).resolve()) { error in
            XCTAssertEqual((error as? UsageError)?.category, .usage)
            XCTAssertTrue((error as? UsageError)?.message.contains("--max-rounds") ?? false)
        }
        flags.maxRounds = nil
        flags.sandbox = "chroot"
        XCTAssertThrowsError(try resolver(flags, root: dir.url).resolve()) { error in
            XCTAssertTrue((error as? UsageError)?.hint?.contains("bwrap") ?? false)
        }
        flags.sandbox = nil
        XCTAssertThrowsError(try resolver(flags, config: ["autofix.testTimeout": "soon"], root: dir.url).resolve()) { error in
            XCTAssertTrue((error as? UsageError)?.message.contains("autofix.testTimeout") ?? false)
        }
    }

    func testSandboxLimitsAndBindsComeFromGitConfig() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "true"
        let config = ["autofix.sandboxMemory": "2g", "autofix.sandboxProcesses": "256", "autofix.image": "img",
                      "autofix.sandboxRuntime": "runsc", "autofix.sandbox": "podman"]
        let lists = ["autofix.sandboxBind": ["/opt/tool"], "autofix.sandboxEnv": ["CI, DEBUG"]]
        let sandbox = try resolver(flags, config: config, lists: lists, root: dir.url).resolve().sandboxSettings
        XCTAssertEqual(sandbox.backend, .podman)
        XCTAssertEqual(sandbox.limits.memoryBytes, 2 << 30)
        XCTAssertEqual(sandbox.limits.maxProcesses, 256)
        XCTAssertEqual(sandbox.image, "img")
        XCTAssertEqual(sandbox.runtime, "runsc")
        XCTAssertEqual(sandbox.binds, ["/opt/tool"])
        XCTAssertEqual(sandbox.environment, ["CI", "DEBUG"])
        XCTAssertThrowsError(try resolver(flags, config: ["autofix.sandboxMemory": "lots"], root: dir.url).resolve())
    }

    func testServerSpecificFieldsComeFromAJSONObjectInGitConfig() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "true"
        let settings = try resolver(flags, config: ["autofix.requestFields": #"{"repetition_penalty": 1.05, "min_p": 0}"#], root: dir.url).resolve()
        XCTAssertEqual(settings.requestFields["repetition_penalty"], .double(1.05))
        XCTAssertEqual(settings.requestFields["min_p"], .int(0))
        XCTAssertThrowsError(try resolver(flags, config: ["autofix.requestFields": "[1, 2]"], root: dir.url).resolve()) { error in
            XCTAssertTrue((error as? UsageError)?.message.contains("autofix.requestFields") ?? false)
        }
    }

    func testCertificateAuthorityFileComesFromTheEnvironmentThenGitConfigAndMustExist() throws {
        let dir = try TemporaryDirectory()
        try "// swift-tools-version:5.9\n".write(to: dir.file("Package.swift"), atomically: true, encoding: .utf8)
        try "pem\n".write(to: dir.file("ca.pem"), atomically: true, encoding: .utf8)
        XCTAssertNil(try resolver(root: dir.url).resolve().sslCAInfo)
        let configured = try resolver(config: ["autofix.sslCAInfo": dir.file("ca.pem").path], root: dir.url).resolve()
        XCTAssertEqual(configured.sslCAInfo, dir.file("ca.pem").path)
        XCTAssertThrowsError(try resolver(env: ["AUTOFIX_SSL_CAINFO": dir.file("missing.pem").path],
                                          config: ["autofix.sslCAInfo": dir.file("ca.pem").path], root: dir.url).resolve()) { error in
            XCTAssertTrue((error as? UsageError)?.message.contains("AUTOFIX_SSL_CAINFO names") ?? false, "\(error)")
        }
    }

    func testMissingTestCommandSaysHowToSetOne() throws {
        let dir = try TemporaryDirectory()
        XCTAssertThrowsError(try resolver(root: dir.url).resolve()) { error in
            XCTAssertTrue((error as? UsageError)?.hint?.contains("git config autofix.testCommand") ?? false)
        }
    }

    func testDetectionCoversCommonProjects() throws {
        let cases: [(String, String, String)] = [
            ("pyproject.toml", "", "python3 -m pytest -q"),
            ("go.mod", "module x\n", "go test ./..."),
            ("Cargo.toml", "[package]\n", "cargo test"),
            ("package.json", #"{"scripts": {"test": "node --test"}}"#, "npm test"),
        ]
        for (file, contents, expected) in cases {
            let dir = try TemporaryDirectory()
            try contents.write(to: dir.file(file), atomically: true, encoding: .utf8)
            let detection = TestCommandDetector(isOnPath: { _ in false }).detect(in: dir.url)
            XCTAssertEqual(detection?.command, expected, file)
        }
        let npmDefault = try TemporaryDirectory()
        try #"{"scripts": {"test": "echo \"Error: no test specified\" && exit 1"}}"#.write(to: npmDefault.file("package.json"), atomically: true, encoding: .utf8)
        XCTAssertNil(TestCommandDetector(isOnPath: { _ in false }).detect(in: npmDefault.url))
    }

    func testPlainPythonTestFilesAreRunWithPytestWhenInstalledElseUnittest() throws {
        let dir = try TemporaryDirectory()
        try "def test_x():\n    pass\n".write(to: dir.file("test_calc.py"), atomically: true, encoding: .utf8)
        let withPytest = TestCommandDetector(isOnPath: { $0 == "pytest" }).detect(in: dir.url)
        XCTAssertEqual(withPytest, .init(command: "python3 -m pytest -q", reason: "test_calc.py"))
        XCTAssertEqual(TestCommandDetector(isOnPath: { _ in false }).detect(in: dir.url)?.command, "python3 -m unittest")

        // A project venv decides by itself: pytest only if it is installed there.
        let venv = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: venv.file("tests"), withIntermediateDirectories: true)
        try "".write(to: venv.file("tests/parser_test.py"), atomically: true, encoding: .utf8)
        for tool in ["python", "pytest"] {
            try FileManager.default.createDirectory(at: venv.file(".venv/bin"), withIntermediateDirectories: true)
            try "#!/bin/sh\n".write(to: venv.file(".venv/bin/\(tool)"), atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: venv.file(".venv/bin/\(tool)").path)
            let python = venv.file(".venv/bin/python").path
            XCTAssertEqual(TestCommandDetector(isOnPath: { _ in true }).detect(in: venv.url),
                           .init(command: python + (tool == "pytest" ? " -m pytest -q" : " -m unittest"), reason: "tests/parser_test.py"))
        }

        let none = try TemporaryDirectory()
        try "".write(to: none.file("helpers.py"), atomically: true, encoding: .utf8)
        XCTAssertNil(TestCommandDetector(isOnPath: { _ in true }).detect(in: none.url))
    }

    func testPythonProjectsPreferTheirOwnVirtualEnvironment() throws {
        let dir = try TemporaryDirectory()
        try "".write(to: dir.file("pytest.ini"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.file(".venv/bin"), withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: dir.file(".venv/bin/python"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.file(".venv/bin/python").path)
        XCTAssertEqual(TestCommandDetector(isOnPath: { _ in true }).detect(in: dir.url)?.command,
                       dir.file(".venv/bin/python").path + " -m pytest -q",
                       "the venv is usually ignored, so it is named where it is, not in the scratch checkout")
    }
}
