import AutofixPatch
import AutofixTestSupport
import Foundation
import XCTest

/// Replies the way models really write them, each with the file it applies to and the result
/// expected, parsed in several chunkings and applied to a real directory.
final class ModelReplyCorpusTests: XCTestCase {
    struct Case {
        let name: String
        let format: EditFormat
        let files: [String: String]
        let reply: String
        /// Expected file contents after applying every emitted patch (nil: file must not exist).
        let expected: [String: String?]
        var rejections = 0
        var strategies: [HunkStrategy]? = nil

        init(_ name: String, format: EditFormat = .diff, files: [String: String], reply: String,
             expected: [String: String?], rejections: Int = 0, strategies: [HunkStrategy]? = nil) {
            self.name = name
            self.format = format
            self.files = files
            self.reply = reply
            self.expected = expected
            self.rejections = rejections
            self.strategies = strategies
        }
    }

    static let calc = """
        struct Calculator {
            func add(_ a: Int, _ b: Int) -> Int {
                return a - b
            }

            func multiply(_ a: Int, _ b: Int) -> Int {
                return a * b
            }
        }

        """

    static let fixedCalc = calc.replacingOccurrences(of: "return a - b", with: "return a + b")

    static let cases: [Case] = [
        Case("git diff in a fence with prose around it", files: ["Sources/Calc.swift": calc], reply: """
            The addition subtracts instead of adding.

            ```diff
            diff --git a/Sources/Calc.swift b/Sources/Calc.swift
            index 3b18e51..a2c4f0e 100644
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            @@ -1,5 +1,5 @@
             struct Calculator {
                 func add(_ a: Int, _ b: Int) -> Int {
            -        return a - b
            +        return a + b
                 }
             
            ```

            This makes `testAdd` pass.
            """, expected: ["Sources/Calc.swift": fixedCalc], strategies: [.exact]),

        Case("no prefixes, no diff --git, wrong counts", files: ["Sources/Calc.swift": calc], reply: """
            --- Sources/Calc.swift
            +++ Sources/Calc.swift
            @@ -2,9 +2,12 @@
                 func add(_ a: Int, _ b: Int) -> Int {
            -        return a - b
            +        return a + b
                 }
            """, expected: ["Sources/Calc.swift": fixedCalc], strategies: [.exact]),

        Case("wrong counts and a blank line before closing prose", files: ["Sources/Calc.swift": calc], reply: """
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            @@ -2,7 +2,7 @@
                 func add(_ a: Int, _ b: Int) -> Int {
            -        return a - b
            +        return a + b

            That fixes it.
            """, expected: ["Sources/Calc.swift": fixedCalc], strategies: [.exact]),

        Case("aider-style @@ ... @@ without numbers", files: ["Sources/Calc.swift": calc], reply: """
            ```diff
            --- Sources/Calc.swift
            +++ Sources/Calc.swift
            @@ ... @@
                 func add(_ a: Int, _ b: Int) -> Int {
            -        return a - b
            +        return a + b
            ```
            """, expected: ["Sources/Calc.swift": fixedCalc], strategies: [.exactShifted]),

        Case("stated line is off: nearest exact match wins", files: ["Sources/Calc.swift": calc], reply: """
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            @@ -40,3 +40,3 @@
                 func add(_ a: Int, _ b: Int) -> Int {
            -        return a - b
            +        return a + b
            """, expected: ["Sources/Calc.swift": fixedCalc], strategies: [.exactShifted]),

        Case("model stripped the blank context line's space and trailing spaces drift",
             files: ["Sources/Calc.swift": calc.replacingOccurrences(of: "        return a - b", with: "        return a - b   ")], reply: """
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            @@ -3,4 +3,4 @@
            -        return a - b
            +        return a + b
                 }

                 func multiply(_ a: Int, _ b: Int) -> Int {
            """, expected: ["Sources/Calc.swift": fixedCalc], strategies: [.ignoringTrailingWhitespace]),

        Case("indentation changed: replacement is re-indented to the file's",
             files: ["Sources/Calc.swift": calc.replacingOccurrences(of: "    ", with: "\t")], reply: """
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            @@ -2,3 +2,4 @@
                func add(_ a: Int, _ b: Int) -> Int {
            -        return a - b
            +        let sum = a + b
            +        return sum
                }
            """, expected: ["Sources/Calc.swift": calc.replacingOccurrences(of: "    ", with: "\t")
                .replacingOccurrences(of: "\t\treturn a - b", with: "\t\tlet sum = a + b\n\t\treturn sum")],
             strategies: [.ignoringIndentation]),

        Case("one context line is wrong: fuzzy within the limit", files: ["Sources/Calc.swift": calc], reply: """
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            @@ -1,6 +1,6 @@
             struct Calculator {
                 func add(_ a: Int, _ b: Int) -> Int {
            -        return a - b
            +        return a + b
                 }
             
                 func subtract(_ a: Int, _ b: Int) -> Int {
            """, expected: ["Sources/Calc.swift": fixedCalc], strategies: [.fuzzy]),

        Case("two files, bare, prose between them; new file from /dev/null",
             files: ["Sources/Calc.swift": calc], reply: """
            First fix the operator:
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            @@ -3 +3 @@
            -        return a - b
            +        return a + b
            Then add constants:
            --- /dev/null
            +++ b/Sources/Constants.swift
            @@ -0,0 +1,2 @@
            +let first = 1
            +let other = 2
            """, expected: ["Sources/Calc.swift": fixedCalc, "Sources/Constants.swift": "let first = 1\nlet other = 2\n"]),

        Case("delete and rename with git headers",
             files: ["old.txt": "a\nb\n", "gone.txt": "x\n"], reply: """
            ```diff
            diff --git a/gone.txt b/gone.txt
            deleted file mode 100644
            --- a/gone.txt
            +++ /dev/null
            @@ -1 +0,0 @@
            -x
            diff --git a/old.txt b/new.txt
            similarity index 50%
            rename from old.txt
            rename to new.txt
            --- a/old.txt
            +++ b/new.txt
            @@ -1,2 +1,2 @@
             a
            -b
            +c
            ```
            """, expected: ["gone.txt": nil, "old.txt": nil, "new.txt": "a\nc\n"]),

        Case("missing final newline marker handled both ways",
             files: ["n.txt": "one\ntwo"], reply: """
            --- a/n.txt
            +++ b/n.txt
            @@ -1,2 +1,2 @@
             one
            -two
            \\ No newline at end of file
            +three
            """, expected: ["n.txt": "one\nthree\n"]),

        Case("marker omitted by the model: the file keeps its missing final newline",
             files: ["n.txt": "one\ntwo"], reply: """
            --- a/n.txt
            +++ b/n.txt
            @@ -1,2 +1,3 @@
             one
            -two
            +2
            +3
            """, expected: ["n.txt": "one\n2\n3"]),

        Case("CRLF file patched with an LF diff stays CRLF",
             files: ["w.txt": "alpha\r\nbeta\r\ngamma\r\n"], reply: """
            --- a/w.txt
            +++ b/w.txt
            @@ -1,3 +1,4 @@
             alpha
            -beta
            +BETA
            +delta
             gamma
            """, expected: ["w.txt": "alpha\r\nBETA\r\ndelta\r\ngamma\r\n"]),

        Case("a removed SQL comment line starting with '-- ' is body, not a header",
             files: ["q.sql": "-- old note\nselect 1;\n"], reply: """
            --- a/q.sql
            +++ b/q.sql
            @@ -1,2 +1,2 @@
            --- old note
            +-- new note
             select 1;
            """, expected: ["q.sql": "-- new note\nselect 1;\n"]),

        Case("body lines without any @@ header after +++", files: ["Sources/Calc.swift": calc], reply: """
            --- a/Sources/Calc.swift
            +++ b/Sources/Calc.swift
            -        return a - b
            +        return a + b
            """, expected: ["Sources/Calc.swift": fixedCalc]),

        Case("unsafe paths are rejected, the safe file still applies",
             files: ["ok.txt": "1\n"], reply: """
            --- a/../outside.txt
            +++ b/../outside.txt
            @@ -1 +1 @@
            -x
            +y
            --- a/.git/config
            +++ b/.git/config
            @@ -1 +1 @@
            -x
            +y
            --- /etc/passwd
            +++ /etc/passwd
            @@ -1 +1 @@
            -root
            +evil
            --- a/ok.txt
            +++ b/ok.txt
            @@ -1 +1 @@
            -1
            +2
            """, expected: ["ok.txt": "2\n"], rejections: 3),

        Case("hunk without a file header and a no-op hunk are rejected",
             files: ["ok.txt": "1\n"], reply: """
            @@ -1 +1 @@
            -1
            +2
            --- a/ok.txt
            +++ b/ok.txt
            @@ -1 +1 @@
             1
            """, expected: ["ok.txt": "1\n"], rejections: 2),

        Case("whole-file block headed by its path", format: .whole, files: ["Sources/Calc.swift": calc], reply: """
            Summary: use + in add

            Sources/Calc.swift
            ```swift
            \(fixedCalc)```
            """, expected: ["Sources/Calc.swift": fixedCalc]),

        Case("whole-file blocks: path in the fence info, a new file, an unclosed block",
             format: .whole, files: ["a.py": "x = 1\n"], reply: """
            ```python a.py
            x = 2
            ```
            ### `pkg/new.py`
            ```python
            print("new")
            ```
            b.py
            ```python
            cut off
            """, expected: ["a.py": "x = 2\n", "pkg/new.py": "print(\"new\")\n", "b.py": nil], rejections: 1),

        Case("whole format still accepts a diff", format: .whole, files: ["ok.txt": "1\n"], reply: """
            ok.txt
            ```diff
            --- a/ok.txt
            +++ b/ok.txt
            @@ -1 +1 @@
            -1
            +2
            ```
            """, expected: ["ok.txt": "2\n"]),

        Case("numberless hunks apply in order even when their context repeats",
             files: ["r.txt": "begin\n  x = 1\nend\nbegin\n  x = 1\nend\n"], reply: """
            --- r.txt
            +++ r.txt
            @@ @@
             begin
            -  x = 1
            +  x = 2
            @@ @@
             begin
            -  x = 1
            +  x = 3
            """, expected: ["r.txt": "begin\n  x = 2\nend\nbegin\n  x = 3\nend\n"]),

        Case("git-quoted non-ASCII path and a Markdown file whose context has fences",
             files: ["docs/ünï.md": "# T\n```\ncode\n```\n"], reply: """
            ```diff
            diff --git "a/docs/\\303\\274n\\303\\257.md" "b/docs/\\303\\274n\\303\\257.md"
            --- "a/docs/\\303\\274n\\303\\257.md"
            +++ "b/docs/\\303\\274n\\303\\257.md"
            @@ -1,4 +1,4 @@
             # T
             ```
            -code
            +better code
             ```
            ```
            """, expected: ["docs/ünï.md": "# T\n```\nbetter code\n```\n"]),

        Case("diff format, but the model wrote the whole file: told to send a diff",
             files: ["ok.txt": "1\n"], reply: """
            ok.txt
            ```
            2
            ```
            """, expected: ["ok.txt": "1\n"], rejections: 1),

        Case("reply cut off inside a hunk of an unclosed fence is rejected",
             files: ["ok.txt": "1\n2\n3\n"], reply: """
            ```diff
            --- a/ok.txt
            +++ b/ok.txt
            @@ -1,3 +1,3 @@
             1
            -2
            """, expected: ["ok.txt": "1\n2\n3\n"], rejections: 1),
    ]

    func testCorpusAppliesAsExpectedInEveryChunking() throws {
        for testCase in Self.cases {
            let chunkings: [Chunking] = [.whole, .characters, .random(seed: 7, maxSize: 5), .random(seed: 8, maxSize: 40)]
            var reference: [ParsedEdit]?
            for chunking in chunkings {
                let edits = parse(testCase.reply, format: testCase.format, chunking: chunking).edits
                if let reference {
                    XCTAssertEqual(edits, reference, "\(testCase.name): \(chunking) differs from whole")
                } else {
                    reference = edits
                }
            }
            guard let edits = reference else { continue }
            let rejected = edits.filter { $0.patch == nil }
            XCTAssertEqual(rejected.count, testCase.rejections, "\(testCase.name): rejections \(rejected)")

            let checkout = try makeTree(testCase.files)
            let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
            var strategies: [HunkStrategy] = []
            for patch in edits.compactMap(\.patch) {
                do {
                    strategies += try applier.apply(patch).hunkStrategies
                } catch {
                    XCTFail("\(testCase.name): \(patch.displayPath) failed: \(error)\n\((error as? PatchError)?.feedback ?? "")")
                }
            }
            if let expectedStrategies = testCase.strategies {
                XCTAssertEqual(strategies, expectedStrategies, testCase.name)
            }
            for (path, content) in testCase.expected {
                let url = checkout.file(path)
                if let content {
                    XCTAssertEqual(try? readFile(checkout, path), content, "\(testCase.name): \(path)")
                } else {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "\(testCase.name): \(path) should not exist")
                }
            }
        }
    }

    func testRejectionsExplainWhatToDo() {
        let edits = parse("""
            --- a/../x
            +++ b/../x
            @@ -1 +1 @@
            -a
            +b
            diff --git a/img.png b/img.png
            index 1234567..89abcde 100644
            Binary files a/img.png and b/img.png differ
            """).edits
        guard edits.count == 2, case let .rejected(_, escape) = edits[0], case let .rejected(path, binary) = edits[1] else {
            return XCTFail("expected two rejections, got \(edits)")
        }
        XCTAssertTrue(escape.contains("'..'"), escape)
        XCTAssertEqual(path, "img.png")
        XCTAssertTrue(binary.contains("binary"), binary)
    }
}
