/// Finds "path:line" mentions in free text (tracebacks, failure bodies), repository frames only.
enum LocationScanner {
    private static let mention = Pattern(
        "((?:/|\\.{1,2}/)?(?:[\\w.@+-]+/)*[\\w.@+-]+\\.(?:swift|py|go|rs|js|mjs|cjs|jsx|ts|tsx|mts|java|kt|kts|scala|rb|c|cc|cpp|cxx|h|hpp|m|mm|cs|php|ex|exs|erl|hs|lua|sh|bash|zig|dart))(?::| line |\", line |\\()(\\d+)")

    static func scan(_ text: String, context: ParseContext) -> [SourceLocation] {
        var found: [SourceLocation] = []
        for groups in mention.allMatches(text) {
            guard let path = groups[0], !ParseContext.isFrameworkPath(path) else { continue }
            let location = context.location(path, line: groups[1].flatMap { Int($0) })
            if !found.contains(location) { found.append(location) }
        }
        return found
    }
}

/// Compiler errors in a build that failed before any test ran: swift/clang/gcc/go
/// ("path:12:5: error: …", "path.go:12:5: …") and rustc ("error[E0425]: …" then " --> path:12:5").
enum CompilerDiagnostics {
    struct Diagnostic {
        var message: String
        var location: SourceLocation
    }

    private static let clangStyle = Pattern("^(\\S+?):(\\d+):(?:\\d+:)? (?:fatal )?error: (.*)$")
    private static let goStyle = Pattern("^(\\S+\\.go):(\\d+):\\d+: (.*)$")
    private static let rustHeader = Pattern("^error(?:\\[E\\d+\\])?: (.*)$")
    private static let rustArrow = Pattern("^\\s*--> (\\S+?):(\\d+):\\d+$")
    private static let typeScript = Pattern("^(\\S+?)\\((\\d+),\\d+\\): error (?:TS\\d+: )?(.*)$")

    static func scan(_ lines: [String], context: ParseContext) -> [Diagnostic] {
        var found: [Diagnostic] = []
        var rustMessage: String?
        func add(_ path: String, _ line: String?, _ message: String) {
            guard !ParseContext.isFrameworkPath(path), path != "error" else { return }
            let diagnostic = Diagnostic(message: message, location: context.location(path, line: line.flatMap { Int($0) }))
            if !found.contains(where: { $0.location == diagnostic.location && $0.message == message }) { found.append(diagnostic) }
        }
        for line in lines where line.containsByte(UInt8(ascii: ":")) || line.containsByte(UInt8(ascii: "(")) {
            if let groups = clangStyle.match(line), let path = groups[0] {
                add(path, groups[1], groups[2] ?? "")
            } else if let groups = typeScript.match(line), let path = groups[0] {
                add(path, groups[1], groups[2] ?? "")
            } else if let groups = goStyle.match(line), let path = groups[0] {
                add(path, groups[1], groups[2] ?? "")
            } else if let message = rustHeader.match(line)?[0] {
                rustMessage = message
            } else if let message = rustMessage, let groups = rustArrow.match(line), let path = groups[0] {
                add(path, groups[1], message)
                rustMessage = nil
            }
        }
        return found
    }
}
