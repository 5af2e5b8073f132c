import AutofixTestSupport
import Foundation
import XCTest

/// What a user does after a run, with the commands the run itself printed: take the result into
/// the dirty tree the run came from, look at each round, take it as commits, clean up.
final class ReviewAfterRunTests: XCTestCase {
    private func run(_ repo: TestRepository, replies: [String]) throws -> Shell.Output {
        let server = try ScriptedSSEServer(replies: replies.map { ScriptedSSEServer.chatStream([$0]) })
        defer { server.stop() }
        return try AutofixCLI.run(["run", "--endpoint", server.baseURL, "--model", "test-model", "--test", "python3 -m pytest -q",
                                   "--sandbox", "bwrap", "--test-timeout", "2m"], in: repo.url)
    }

    private func runIDs(_ repo: TestRepository) throws -> Set<String> {
        Set(try repo.git("for-each-ref", "--format=%(refname:lstrip=-1)", "refs/autofix").split(separator: "\n").map(String.init))
    }

    /// The run `start` made: two runs in the same second sort by their random suffix, not by age.
    private func newRun(_ repo: TestRepository, _ start: () throws -> Void) throws -> String {
        let before = try runIDs(repo)
        try start()
        return try XCTUnwrap(try runIDs(repo).subtracting(before).first)
    }

    private func runID(_ repo: TestRepository) throws -> String {
        try XCTUnwrap(try runIDs(repo).first)
    }

    /// The printed line that starts with `git cherry-pick`, as the user would copy it.
    private func printedCherryPick(_ output: String) throws -> [String] {
        let line = try XCTUnwrap(output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("git cherry-pick ") }, output)
        let command = line.components(separatedBy: "   #").first!.trimmingCharacters(in: .whitespaces)
        return command.split(separator: " ").dropFirst().map { $0.replacingOccurrences(of: "'", with: "") }
    }

    func testADirtyTreeTakesTheRunWithApplyAndThenAsCommitsOnceTheWorkIsCommitted() throws {
        let repo = try SampleProjects.pythonCalculator()
        try repo.write("NOTES.md", "staged notes\n")
        try repo.git("add", "NOTES.md")
        try repo.write("test_calc.py", try repo.read("test_calc.py") + "\n# my unstaged comment\n")
        try repo.write("venv/bin/python", "#!/bin/sh\n", executable: true)
        let indexBefore = try Data(contentsOf: repo.file(".git/index"))

        let output = try run(repo, replies: [SampleProjects.pythonCalculatorFix])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("beside your uncommitted changes"), output.stdout)
        XCTAssertTrue(output.stdout.contains("once you have committed your own changes"), output.stdout)
        let id = try runID(repo)

        let apply = try AutofixCLI.run(["apply", id], in: repo.url)
        XCTAssertEqual(apply.status, 0, apply.stdout + apply.stderr)
        XCTAssertTrue(try repo.read("calc.py").contains("return a + b"))
        XCTAssertTrue(try repo.read("test_calc.py").hasSuffix("# my unstaged comment\n"), "the user's edit is still there")
        XCTAssertEqual(try repo.read("venv/bin/python"), "#!/bin/sh\n")
        XCTAssertEqual(try Data(contentsOf: repo.file(".git/index")), indexBefore, "apply never writes the index")
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix-backup"), "", "nothing of the user's was overwritten")
        XCTAssertTrue(try AutofixCLI.run(["list"], in: repo.url).stdout.contains("fixed, applied"))

        // The printed cherry-pick, once the user's own work is a commit: it must work and leave no
        // sequencer state behind.
        try repo.git("checkout", "--", "calc.py")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "my work")
        let pick = try repo.git(["cherry-pick"] + printedCherryPick(output.stdout).dropFirst())
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.file(".git/sequencer").path), pick)
        XCTAssertTrue(try repo.read("calc.py").contains("return a + b"))
        XCTAssertEqual(try repo.git("status", "--porcelain"), "")
    }

    func testOnACleanTreeThePrintedCherryPickWorks() throws {
        let repo = try SampleProjects.pythonCalculator()
        let output = try run(repo, replies: [SampleProjects.pythonCalculatorFix])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertFalse(output.stdout.contains("once you have committed"), output.stdout)
        let pick = try repo.git(["cherry-pick"] + printedCherryPick(output.stdout).dropFirst())
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.file(".git/sequencer").path), pick)
        XCTAssertEqual(try repo.git("log", "-1", "--format=%s"), "make add() add instead of subtract\n")
        XCTAssertEqual(try repo.git("status", "--porcelain"), "")
    }

    func testShowListsEachRoundAndPrintsAReply() throws {
        let repo = try SampleProjects.pythonCalculator()
        let output = try run(repo, replies: [SampleProjects.pythonCalculatorFixThatBreaksMul, SampleProjects.pythonCalculatorFix])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("--rounds"), "the closing hint points at the rounds")
        let id = try runID(repo)

        let brief = try AutofixCLI.run(["show", id], in: repo.url)
        XCTAssertEqual(brief.status, 0, brief.stderr)
        XCTAssertTrue(brief.stdout.contains("round 1: rolled back, failing 2 → 1"), brief.stdout)
        XCTAssertTrue(brief.stdout.contains("round 2: accepted, failing 2 → 0, commit "), brief.stdout)

        let full = try AutofixCLI.run(["show", id, "--rounds"], in: repo.url)
        XCTAssertTrue(full.stdout.contains("patch calc.py: applied"), full.stdout)
        XCTAssertTrue(full.stdout.contains("newly failing: test_calc.py::test_mul"), full.stdout)
        XCTAssertTrue(full.stdout.contains("git autofix show \(id) --reply 2"), full.stdout)

        let reply = try AutofixCLI.run(["show", id, "--reply", "1"], in: repo.url)
        XCTAssertEqual(reply.status, 0, reply.stderr)
        XCTAssertEqual(reply.stdout, SampleProjects.pythonCalculatorFixThatBreaksMul + "\n")

        let missing = try AutofixCLI.run(["show", id, "--reply", "9"], in: repo.url)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("has no round 9: its rounds are 1 to 2"), missing.stderr)
    }

    func testListHidesRunsWithoutCommitsAndDropAllRemovesTheirNotesAndApplysBackups() throws {
        let repo = try SampleProjects.pythonCalculator()
        let declined = try newRun(repo) { XCTAssertEqual(try run(repo, replies: ["CANNOT FIX: no idea"]).status, 1) }
        let fixed = try newRun(repo) { XCTAssertEqual(try run(repo, replies: [SampleProjects.pythonCalculatorFix]).status, 0) }
        try repo.write("calc.py", try repo.read("calc.py") + "\n# mine\n")
        XCTAssertEqual(try AutofixCLI.run(["apply", fixed, "--force"], in: repo.url).status, 0)
        XCTAssertNotEqual(try repo.git("for-each-ref", "refs/autofix-backup"), "")

        let list = try AutofixCLI.run(["list"], in: repo.url).stdout
        XCTAssertTrue(list.contains(fixed), list)
        XCTAssertFalse(list.contains(declined), list)
        XCTAssertTrue(list.contains("1 run that kept no commit not shown; --all lists it"), list)
        let all = try AutofixCLI.run(["list", "--all"], in: repo.url).stdout
        XCTAssertTrue(all.contains(declined) && all.contains("refs/autofix-backup/"), all)
        let warmLine = try XCTUnwrap(all.split(separator: "\n").first { $0.hasPrefix("warm build place ") }, all)
        XCTAssertNotNil(warmLine.range(of: #"/\.cache/git-autofix/warm/\S+  [0-9.]+ (MiB|GiB)  \("#, options: .regularExpression),
                        String(warmLine))

        let drop = try AutofixCLI.run(["drop", "--all", "--yes"], in: repo.url)
        XCTAssertEqual(drop.status, 0, drop.stderr)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix", "refs/autofix-backup"), "")
        XCTAssertEqual(try repo.git("notes", "--ref=autofix", "list"), "", "no note outlives its run")
        let removed = try XCTUnwrap(drop.stdout.split(separator: "\n").first { $0.hasPrefix("Removed the warm build place ") },
                                    drop.stdout)
        let place = String(removed.dropFirst("Removed the warm build place ".count))
        XCTAssertTrue(place.hasPrefix(Hermetic.home.path + "/.cache/git-autofix/warm/"), place)
        XCTAssertFalse(FileManager.default.fileExists(atPath: place), "the runs' warm build place is gone")
        XCTAssertTrue(warmLine.contains(place), "list names the place drop removes: \(warmLine)")
    }
}
