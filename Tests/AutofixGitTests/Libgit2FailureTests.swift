@testable import AutofixGit
import AutofixTestSupport
import CGit2
import XCTest

/// What the user sees when libgit2 fails: an error with libgit2's own words, never a quiet
/// "not set", a wrong id or a message left over from an earlier failure.
final class Libgit2FailureTests: XCTestCase {
    override func setUpWithError() throws {
        Hermetic.applyToCurrentProcess()
        // What libgit2 recorded before this test is no concern of its assertions. (It must be
        // initialised before its error state may be touched.)
        try Libgit2.ensureInitialised()
        git_error_clear()
    }

    private func makeRepo() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.write("README.md", "hello\n")
        try repo.commitAll("initial")
        return repo
    }

    /// A `.git/config` with a syntax error, as a half-finished hand edit leaves it.
    private func breakConfig(_ repo: TestRepository) throws {
        let config = repo.file(".git/config")
        let text = try String(contentsOf: config, encoding: .utf8)
        try (text + "[autofix\n\tmodel = half-written\n").write(to: config, atomically: true, encoding: .utf8)
    }

    /// Opening a repository already fails on a broken config; a handle opened before the file
    /// broke (a long run while the user edits it) must not read it as "not set" either.
    func testABrokenConfigFileIsAnErrorNotAnUnsetKey() throws {
        let reads: [(String, (Repository) throws -> Void)] = [
            ("configString", { _ = try $0.configString("autofix.model") }),
            ("configStrings", { _ = try $0.configStrings("autofix.protect") }),
            ("configBool", { _ = try $0.configBool("core.ignorecase") }),
        ]
        for (name, read) in reads {
            let repo = try makeRepo()
            try repo.git("config", "autofix.model", "tiny")
            let repository = try Repository.discover(from: repo.url)
            XCTAssertEqual(try repository.configString("autofix.model"), "tiny")
            try breakConfig(repo)
            XCTAssertThrowsError(try read(repository), name) { error in
                guard let error = error as? GitError else { return XCTFail("\(name): not a GitError: \(error)") }
                XCTAssertNotEqual(error.libgit2Code, 0, "\(name): the failure came from libgit2")
                // libgit2 names the file and line, so the user knows what to fix.
                XCTAssertTrue(error.message.contains(".git/config"), "\(name): \(error.message)")
            }
            // Copied, then cleared: a later failure cannot report this one's message.
            XCTAssertNil(git_error_last(), name)
        }
    }

    func testOpeningARepositoryWithABrokenConfigSaysWhatIsWrong() throws {
        let repo = try makeRepo()
        try breakConfig(repo)
        XCTAssertThrowsError(try Snapshotter(repository: try Repository.discover(from: repo.url)).snapshot()) { error in
            guard let error = error as? GitError else { return XCTFail("not a GitError: \(error)") }
            XCTAssertTrue(error.message.contains(".git/config"), error.message)
        }
    }

    func testAnUnsetKeyIsStillNil() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        XCTAssertNil(try repository.configString("autofix.model"))
        XCTAssertEqual(try repository.configStrings("autofix.protect"), [])
        XCTAssertNil(try repository.configBool("autofix.nothing"))
        XCTAssertNil(git_error_last(), "'not set' is an answer, and leaves no error behind")
    }

    func testAValueOfTheWrongTypeIsAnErrorAsInGit() throws {
        let repo = try makeRepo()
        try repo.git("config", "core.ignorecase", "sometimes")
        let repository = try Repository.discover(from: repo.url)
        XCTAssertEqual(try repository.configString("core.ignorecase"), "sometimes")
        XCTAssertThrowsError(try repository.configBool("core.ignorecase")) { error in
            XCTAssertTrue((error as? GitError)?.message.contains("core.ignorecase") ?? false, "\(error)")
        }
        // A snapshot honours core.ignorecase, so it must not take "sometimes" for "not set".
        XCTAssertThrowsError(try Snapshotter(repository: repository).snapshot()) { error in
            XCTAssertTrue((error as? GitError)?.message.contains("sometimes") ?? false, "\(error)")
        }
    }

    func testWordsThatMayBeBooleansAreReadAsGitReadsThem() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        XCTAssertEqual(repository.parseBool("true"), true)
        XCTAssertEqual(repository.parseBool("off"), false)
        XCTAssertNil(repository.parseBool("warn"))
        XCTAssertNil(git_error_last())
    }

    func testAnObjectIDIsAFullIDOrNothing() throws {
        let repo = try makeRepo()
        let head = try repo.revParse("HEAD")
        XCTAssertNotNil(ObjectID(hex: head))
        XCTAssertNil(ObjectID(hex: String(head.prefix(7))), "a short id is a revision, not an id")
        XCTAssertNil(ObjectID(hex: head + "0"))
        XCTAssertNil(ObjectID(hex: ""))
    }

    func testAnInvalidObjectIDIsAnErrorNotAZeroID() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        let head = try repo.revParse("HEAD")
        // Ids also arrive decoded from JSON, which no initialiser checks.
        func decoded(_ hex: String) throws -> ObjectID {
            try JSONDecoder().decode(ObjectID.self, from: Data(#"{"hex":"\#(hex)"}"#.utf8))
        }
        for text in [String(head.prefix(12)), head + "0", String(repeating: "z", count: 40)] {
            let id = try decoded(text)
            XCTAssertThrowsError(try id.raw, text)
            XCTAssertThrowsError(try repository.commit(id), text) { error in
                XCTAssertEqual((error as? GitError)?.code, .invalid, "\(text): \(error)")
            }
        }
        XCTAssertEqual(try repository.commit(try decoded(head)).id.hex, head)
    }

    func testATreeBuilderPathNeitherSideHasChangesNothing() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        let head = try XCTUnwrap(ObjectID(hex: try repo.revParse("HEAD")))
        let scratch = try ScratchCheckout.create(repository: repository, commit: head)
        defer { scratch.remove() }
        let tree = try TreeBuilder(repository: repository).tree(from: head, replacing: ["never-there.txt", "nor/this"], in: scratch.directory)
        XCTAssertEqual(tree, try repository.commit(head).tree)
        XCTAssertNil(git_error_last())
    }

    /// A ref that someone replaced with a symbolic one has no id to compare: `drop` must refuse
    /// it with a message, not crash on the missing target.
    func testDeletingARefThatTurnedSymbolicIsAnErrorAndLeavesIt() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        let head = try XCTUnwrap(ObjectID(hex: try repo.revParse("HEAD")))
        try repo.git("symbolic-ref", "refs/autofix/main/run", "refs/heads/main")

        XCTAssertThrowsError(try repository.deleteReference("refs/autofix/main/run", expected: head)) { error in
            XCTAssertEqual((error as? GitError)?.code, .invalid, "\(error)")
        }
        XCTAssertEqual(try repo.git("symbolic-ref", "refs/autofix/main/run").trimmingCharacters(in: .whitespacesAndNewlines),
                       "refs/heads/main")
        XCTAssertNil(git_error_last())
    }
}
