import AutofixCore
import AutofixSupport
import AutofixTestSupport
import XCTest

/// A value out of range is the same usage error (exit 2) whether a flag or git config gave it,
/// and the message names where it came from, so the user knows what to correct.
final class SettingRangeTests: XCTestCase {
    private struct Case {
        let key: String
        let configValue: String
        let setFlag: (inout RepairFlags) -> Void
        let flagMessage: String
        let configMessage: String
    }

    private let cases: [Case] = [
        Case(key: "autofix.maxRounds", configValue: "99", setFlag: { $0.maxRounds = 99 },
             flagMessage: "--max-rounds must be between 1 and 50 (got 99)",
             configMessage: "git config autofix.maxRounds must be between 1 and 50 (got 99)"),
        Case(key: "autofix.maxRounds", configValue: "0", setFlag: { $0.maxRounds = 0 },
             flagMessage: "--max-rounds must be between 1 and 50 (got 0)",
             configMessage: "git config autofix.maxRounds must be between 1 and 50 (got 0)"),
        Case(key: "autofix.temperature", configValue: "2.5", setFlag: { $0.temperature = 2.5 },
             flagMessage: "--temperature must be between 0 and 2 (got 2.5)",
             configMessage: "git config autofix.temperature must be between 0 and 2 (got 2.5)"),
        Case(key: "autofix.topP", configValue: "0", setFlag: { $0.topP = 0 },
             flagMessage: "--top-p must be in (0, 1] (got 0.0)",
             configMessage: "git config autofix.topP must be in (0, 1] (got 0.0)"),
        Case(key: "autofix.maxDiffTokens", configValue: "8", setFlag: { $0.maxDiffTokens = 8 },
             flagMessage: "--max-diff-tokens must be at least 16 (got 8)",
             configMessage: "git config autofix.maxDiffTokens must be at least 16 (got 8)"),
        Case(key: "autofix.editFormat", configValue: "xml", setFlag: { $0.editFormat = "xml" },
             flagMessage: "--edit-format is `xml`, which is not an edit format",
             configMessage: "git config autofix.editFormat is `xml`, which is not an edit format"),
        Case(key: "autofix.timeout", configValue: "soon", setFlag: { $0.timeout = "soon" },
             flagMessage: "--timeout is `soon`, not a duration",
             configMessage: "git config autofix.timeout is `soon`, not a duration"),
        Case(key: "autofix.testTimeout", configValue: "0s", setFlag: { $0.testTimeout = "0s" },
             flagMessage: "--test-timeout is `0s`, not a duration",
             configMessage: "git config autofix.testTimeout is `0s`, not a duration"),
        Case(key: "autofix.candidates", configValue: "9", setFlag: { $0.candidates = 9 },
             flagMessage: "--candidates must be between 1 and 8 (got 9)",
             configMessage: "git config autofix.candidates must be between 1 and 8 (got 9)"),
        Case(key: "autofix.candidates", configValue: "0", setFlag: { $0.candidates = 0 },
             flagMessage: "--candidates must be between 1 and 8 (got 0)",
             configMessage: "git config autofix.candidates must be between 1 and 8 (got 0)"),
    ]

    /// Settings only git config gives, with the message each bad value gets.
    private let configOnly: [(key: String, value: String, message: String)] = [
        ("autofix.candidateTemperature", "3", "git config autofix.candidateTemperature must be between 0 and 2 (got 3.0)"),
        ("autofix.parallelTests", "0", "git config autofix.parallelTests must be at least 1 (got 0)"),
    ]

    private func error(flags: RepairFlags, config: [String: String]) throws -> AutofixError? {
        let dir = try TemporaryDirectory()
        var flags = flags
        flags.test = "true"
        let resolver = SettingsResolver(flags: flags, environment: [:], projectRoot: dir.url, config: { config[$0] })
        do {
            _ = try resolver.resolve()
            return nil
        } catch let error as AutofixError {
            return error
        }
    }

    func testEachRangeErrorFromAFlagNamesTheFlag() throws {
        for example in cases {
            var flags = RepairFlags()
            example.setFlag(&flags)
            let error = try XCTUnwrap(try error(flags: flags, config: [:]), example.flagMessage)
            XCTAssertEqual(error.message, example.flagMessage)
            XCTAssertEqual(error.category, .usage)
            XCTAssertEqual(error.category.rawValue, 2)
        }
    }

    func testEachRangeErrorFromGitConfigNamesTheKey() throws {
        for example in cases {
            let error = try XCTUnwrap(try error(flags: RepairFlags(), config: [example.key: example.configValue]), example.configMessage)
            XCTAssertEqual(error.message, example.configMessage)
            XCTAssertEqual(error.category, .usage)
        }
    }

    func testEachBadValueOfAConfigOnlySettingNamesTheKey() throws {
        for example in configOnly {
            let error = try XCTUnwrap(try error(flags: RepairFlags(), config: [example.key: example.value]), example.message)
            XCTAssertEqual(error.message, example.message)
            XCTAssertEqual(error.category, .usage)
        }
    }

    func testCandidateSettingsDefaultToOneReplyAtTheUsualTemperature() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "true"
        let settings = try SettingsResolver(flags: flags, environment: [:], projectRoot: dir.url, config: { _ in nil }).resolve()
        XCTAssertEqual(settings.candidates, 1)
        XCTAssertEqual(settings.candidateTemperature, 0.7)
        XCTAssertEqual(settings.parallelTests, ProcessInfo.processInfo.activeProcessorCount)
        let configured = try SettingsResolver(flags: flags, environment: [:], projectRoot: dir.url, config: {
            ["autofix.candidates": "3", "autofix.candidateTemperature": "0.9", "autofix.parallelTests": "2"][$0]
        }).resolve()
        XCTAssertEqual(configured.candidates, 3)
        XCTAssertEqual(configured.candidateTemperature, 0.9)
        XCTAssertEqual(configured.parallelTests, 2)
    }

    func testOnePatchPerRequestComesFromTheFlagOrGitConfigAndIsOffByDefault() throws {
        let dir = try TemporaryDirectory()
        var flags = RepairFlags()
        flags.test = "true"
        let resolve = { (flags: RepairFlags, config: [String: String]) in
            try SettingsResolver(flags: flags, environment: [:], projectRoot: dir.url, config: { config[$0] }).resolve()
        }
        XCTAssertFalse(try resolve(flags, [:]).onePatchPerRequest)
        XCTAssertTrue(try resolve(flags, ["autofix.onePatchPerRequest": "yes"]).onePatchPerRequest)
        XCTAssertFalse(try resolve(flags, ["autofix.onePatchPerRequest": "off"]).onePatchPerRequest)
        var given = flags
        given.onePatchPerRequest = true
        XCTAssertTrue(try resolve(given, ["autofix.onePatchPerRequest": "false"]).onePatchPerRequest)

        let bad = try XCTUnwrap(try error(flags: RepairFlags(), config: ["autofix.onePatchPerRequest": "sometimes"]))
        XCTAssertEqual(bad.message, "git config autofix.onePatchPerRequest is `sometimes`, not a boolean")
        XCTAssertEqual(bad.category, .usage)
    }

    func testOnePatchPerRequestRefusesSeveralCandidatesNamingWhereEachWasGiven() throws {
        var flags = RepairFlags()
        flags.onePatchPerRequest = true
        flags.candidates = 3
        let both = try XCTUnwrap(try error(flags: flags, config: [:]))
        XCTAssertEqual(both.message, "--one-patch-per-request asks for one reply at a time, so it cannot be combined with --candidates (3 candidates)")
        XCTAssertEqual(both.category, .usage)

        let configured = try XCTUnwrap(try error(flags: RepairFlags(), config: [
            "autofix.onePatchPerRequest": "true", "autofix.candidates": "2",
        ]))
        XCTAssertEqual(configured.message, "git config autofix.onePatchPerRequest asks for one reply at a time, so it cannot be combined with git config autofix.candidates (2 candidates)")
        flags.candidates = 1
        XCTAssertNil(try error(flags: flags, config: [:]), "one candidate is what this mode asks for anyway")
    }

    func testAGoodFlagWinsOverABadGitConfigValue() throws {
        var flags = RepairFlags()
        flags.maxRounds = 3
        flags.test = "true"
        let dir = try TemporaryDirectory()
        let settings = try SettingsResolver(flags: flags, environment: [:], projectRoot: dir.url,
                                            config: { $0 == "autofix.maxRounds" ? "99" : nil }).resolve()
        XCTAssertEqual(settings.maxRounds, 3)
    }
}
