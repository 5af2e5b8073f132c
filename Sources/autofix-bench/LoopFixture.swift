import AutofixCore
import AutofixBenchSupport
import Foundation

/// The repository and scripted replies the repair-loop benchmark plays: a generated repository
/// plus a test script that reports one TAP test per line of `cases.txt` (`case01 fail`), so a
/// patch to a source file leaves the failures as they were (the round is rolled back) and a
/// patch that turns a line of `cases.txt` into `pass` lowers them (the round is committed).
struct LoopFixture {
    static let testCommand = "sh check.sh"
    static let failingCases = 12
    /// Source files the replies edit: none of them is edited, deleted or large in the generated
    /// repository, at 200 files as at 100k.
    static let editedFiles = [3, 14, 25, 36]

    let repository: SyntheticRepository

    init(trackedFiles: Int, environment: [String: String]) throws {
        repository = try SyntheticRepository(trackedFiles: trackedFiles, environment: environment)
        // Left untracked on purpose: the snapshot carries them, as it carries a user's new files.
        try Self.checkScript.write(to: repository.url.appendingPathComponent("check.sh"), atomically: true, encoding: .utf8)
        let cases = (1...Self.failingCases).map { Self.caseName($0) + " fail\n" }.joined()
        try cases.write(to: repository.url.appendingPathComponent("cases.txt"), atomically: true, encoding: .utf8)
    }

    var url: URL { repository.url }

    static let checkScript = """
        # One passing test, then one TAP test per line of cases.txt: `NAME pass` or `NAME fail`.
        n=1
        failed=0
        echo "ok 1 - builds"
        while read -r name state; do
          n=$((n + 1))
          if [ "$state" = pass ]; then echo "ok $n - $name"; else echo "not ok $n - $name"; failed=1; fi
        done < cases.txt
        echo "1..$n"
        exit $failed

        """

    static func caseName(_ number: Int) -> String { String(format: "case%02d", number) }

    /// What `check.sh` prints for a checkout, computed without starting a process.
    static func expectedTestOutput(in directory: URL) -> (output: String, exitCode: Int32) {
        let cases = ((try? String(contentsOf: directory.appendingPathComponent("cases.txt"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map { $0.split(separator: " ") }
        var lines = ["ok 1 - builds"]
        var failed = false
        for (offset, fields) in cases.enumerated() {
            let passes = fields.count == 2 && fields[1] == "pass"
            failed = failed || !passes
            lines.append("\(passes ? "ok" : "not ok") \(offset + 2) - \(fields.first ?? "")")
        }
        lines.append("1..\(cases.count + 1)")
        return (lines.joined(separator: "\n") + "\n", failed ? 1 : 0)
    }

    // MARK: replies

    /// A patch changing the second line of generated source file `file`; with `broken`, a hunk
    /// whose lines are nowhere in the file, so it cannot apply.
    static func sourcePatch(file: Int, broken: Bool = false) -> String {
        let shape = SyntheticRepositoryShape(trackedFiles: 1000)
        let path = shape.path(ofFile: file)
        let lines = String(decoding: SyntheticRepository.sourceContents(file), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if broken {
            return """
                --- a/\(path)
                +++ b/\(path)
                @@ -1,3 +1,3 @@
                 // a comment that is not there
                -let notThere = 1
                +let notThere = 2
                 // nor is this one

                """
        }
        let old = lines[1]
        let new = old.replacingOccurrences(of: " = ", with: " = 1 + ")
        return """
            --- a/\(path)
            +++ b/\(path)
            @@ -1,4 +1,4 @@
             \(lines[0])
            -\(old)
            +\(new)
             \(lines[2])
             \(lines[3])

            """
    }

    /// A reply a model could give: a summary line, then the patches in one diff fence.
    static func reply(_ patches: [String], summary: String) -> String {
        "Summary: \(summary)\n\n```diff\n" + patches.joined() + "```\n"
    }

    /// Touches two source files and leaves the failures as they were: rolled back every round.
    static var rejectedReply: String {
        reply([sourcePatch(file: editedFiles[0]), sourcePatch(file: editedFiles[1])], summary: "adjust two values")
    }

    /// Makes case `round` pass, given that the rounds before made theirs pass.
    static func failingPatch(round: Int) -> String {
        let start = max(1, round - 1)
        var body = round > 1 ? " \(caseName(round - 1)) pass\n" : ""
        body += "-\(caseName(round)) fail\n+\(caseName(round)) pass\n"
        if round < failingCases { body += " \(caseName(round + 1)) fail\n" }
        let count = body.split(separator: "\n").count - 1
        return "--- a/cases.txt\n+++ b/cases.txt\n@@ -\(start),\(count) +\(start),\(count) @@\n" + body
    }

    /// One fewer failing test every round: committed every round.
    static func acceptedReply(round: Int) -> String {
        reply([failingPatch(round: round)], summary: "fix \(caseName(round))")
    }

    /// Four source-file patches, the first of them broken when `firstBroken`.
    static func fourFileReply(firstBroken: Bool) -> String {
        reply(editedFiles.enumerated().map { sourcePatch(file: $1, broken: firstBroken && $0 == 0) },
              summary: "adjust four values")
    }

    /// `text` cut into pieces of `size` characters, about one token each.
    static func deltas(_ text: String, size: Int = 4) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return pieces
    }

    static func streamed(_ text: String, delay: Double) -> ScriptedSSEServer.Reply {
        let pieces = deltas(text)
        return ScriptedSSEServer.chatStream(pieces, usage: (prompt: 1000, completion: pieces.count), delay: delay)
    }
}
