import AutofixTestSupport
import XCTest

/// The binary exits 2 ("usage or configuration") for a value out of range, from a flag as from
/// git config, and says where the value came from.
final class SettingErrorExitTests: XCTestCase {
    private let cases: [(flag: [String], key: String, value: String, flagMessage: String, configMessage: String)] = [
        (["--max-rounds", "99"], "autofix.maxRounds", "99",
         "--max-rounds must be between 1 and 50 (got 99)", "git config autofix.maxRounds must be between 1 and 50 (got 99)"),
        (["--temperature", "3"], "autofix.temperature", "3",
         "--temperature must be between 0 and 2 (got 3.0)", "git config autofix.temperature must be between 0 and 2 (got 3.0)"),
        (["--top-p", "1.5"], "autofix.topP", "1.5",
         "--top-p must be in (0, 1] (got 1.5)", "git config autofix.topP must be in (0, 1] (got 1.5)"),
        (["--max-diff-tokens", "4"], "autofix.maxDiffTokens", "4",
         "--max-diff-tokens must be at least 16 (got 4)", "git config autofix.maxDiffTokens must be at least 16 (got 4)"),
        (["--edit-format", "xml"], "autofix.editFormat", "xml",
         "--edit-format is `xml`, which is not an edit format", "git config autofix.editFormat is `xml`, which is not an edit format"),
        (["--timeout", "later"], "autofix.timeout", "later",
         "--timeout is `later`, not a duration", "git config autofix.timeout is `later`, not a duration"),
        (["--test-timeout", "0"], "autofix.testTimeout", "0",
         "--test-timeout is `0`, not a duration", "git config autofix.testTimeout is `0`, not a duration"),
    ]

    func testARangeErrorFromAFlagExitsTwoAndNamesTheFlag() throws {
        let repo = try TestRepository()
        for example in cases {
            let result = try AutofixCLI.run(["run", "--test", "true"] + example.flag, in: repo.url)
            XCTAssertEqual(result.status, 2, "\(example.flag): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("error: \(example.flagMessage)"), result.stderr)
        }
    }

    func testOnePatchPerRequestWithSeveralCandidatesExitsTwoBeforeAnyWork() throws {
        let repo = try TestRepository()
        let flags = try AutofixCLI.run(["run", "--test", "true", "--one-patch-per-request", "--candidates", "2"], in: repo.url)
        XCTAssertEqual(flags.status, 2, flags.stderr)
        XCTAssertTrue(flags.stderr.contains(
            "error: --one-patch-per-request asks for one reply at a time, so it cannot be combined with --candidates (2 candidates)"),
                      flags.stderr)
        try repo.git("config", "autofix.onePatchPerRequest", "true")
        let configured = try AutofixCLI.run(["run", "--test", "true", "--candidates", "3"], in: repo.url)
        XCTAssertEqual(configured.status, 2, configured.stderr)
        XCTAssertTrue(configured.stderr.contains("error: git config autofix.onePatchPerRequest asks for one reply at a time"),
                      configured.stderr)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "", "no run was started")

        let help = try AutofixCLI.run(["run", "--help"], in: repo.url)
        let flag = try XCTUnwrap(help.stdout.range(of: "--one-patch-per-request"), help.stdout)
        XCTAssertTrue(help.stdout[flag.upperBound...].prefix(300).contains("(autofix.onePatchPerRequest)"),
                      "the help names the git config key: \(help.stdout)")
    }

    func testARangeErrorFromGitConfigExitsTwoAndNamesTheKey() throws {
        for example in cases {
            let repo = try TestRepository()
            try repo.git("config", example.key, example.value)
            let result = try AutofixCLI.run(["run", "--test", "true"], in: repo.url)
            XCTAssertEqual(result.status, 2, "\(example.key): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("error: \(example.configMessage)"), result.stderr)
        }
    }
}
