/// Spectre (`describe`/`it` specs for Swift, as Stencil and PathKit use): "-> name" lines for each
/// context and case, then each failure as " <context> <case>" and "  File.swift:12 reason", then
/// "57 passes 5 skipped, and 3 failures". Its colours (green pass, yellow skip) are gone by the
/// time the output is read, so passing cases are counted from the summary, not named.
enum SpectreFormat: TestOutputFormat {
    private static let summary = Pattern("^(\\d+) passes(?: (\\d+) skipped,)? and (\\d+) failures?$")
    private static let failureLocation = Pattern("^  (\\S+\\.swift):(\\d+) (.*)$")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { summary.match($0) != nil }
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "spectre")
        output.listsPassingTests = false
        for (index, line) in lines.enumerated() {
            if let counts = summary.match(line) {
                let passes = counts[0].flatMap { Int($0) } ?? 0
                let failures = counts[2].flatMap { Int($0) } ?? 0
                output.declaredPassing = passes
                output.declaredTotal = passes + failures
                continue
            }
            // A failure's name is printed after a colour code and print's separating space.
            guard index + 1 < lines.count, line.hasPrefix(" "), !line.hasPrefix("  "),
                  let location = failureLocation.match(lines[index + 1]),
                  let file = location[0], let number = location[1].flatMap({ Int($0) })
            else { continue }
            let name = String(line.dropFirst())
            output.add(TestCaseResult(id: name, status: .failed, message: location[2],
                                      locations: [context.location(file, line: number)]))
        }
        return output
    }
}
