import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// JUnit XML as written by pytest --junitxml, jest-junit, surefire, gotestsum, cargo2junit and
/// swift test --xunit-output: <testcase classname name file line> with <failure>, <error>, <skipped>.
enum JUnitXMLFormat {
    struct Unreadable: Error, CustomStringConvertible {
        var file: String
        var reason: String
        var description: String { "\(file): \(reason)" }
    }

    static func parse(data: Data, name: String, context: ParseContext) throws -> ParsedOutput {
        let delegate = Collector(context: context)
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        if !parser.parse() {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "not well-formed XML"
            throw Unreadable(file: name, reason: "line \(parser.lineNumber): \(reason)")
        }
        guard delegate.sawTestElement else { throw Unreadable(file: name, reason: "no <testsuite> or <testcase> element") }
        guard delegate.openElements == 0 else {
            throw Unreadable(file: name, reason: "the file ends inside an element, so the run that wrote it was cut short")
        }
        return delegate.output
    }

    static func looksLikeJUnit(_ output: String) -> Bool {
        let head = output.prefix(500)
        return head.contains("<testsuites") || head.contains("<testsuite ")
    }

    private final class Collector: NSObject, XMLParserDelegate {
        let context: ParseContext
        var output = ParsedOutput(framework: "junit")
        var sawTestElement = false
        var openElements = 0
        private var current: TestCaseResult?
        private var fileAttribute: SourceLocation?
        private var text = ""
        private var collectingText = false

        init(context: ParseContext) {
            self.context = context
        }

        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            openElements += 1
            switch element {
            case "testsuites", "testsuite":
                sawTestElement = true
            case "testcase":
                sawTestElement = true
                let name = attributes["name"] ?? "?"
                let className = attributes["classname"] ?? attributes["class"] ?? ""
                let id = className.isEmpty || name.hasPrefix(className) ? name : "\(className).\(name)"
                current = TestCaseResult(id: id, status: .passed)
                fileAttribute = attributes["file"].map {
                    context.location($0, line: attributes["line"].flatMap { Int($0) })
                }
            case "failure", "error":
                guard current != nil else { return }
                current?.status = element == "failure" ? .failed : .errored
                current?.message = attributes["message"].flatMap { $0.isEmpty ? nil : $0 } ?? attributes["type"]
                text = ""
                collectingText = true
            case "skipped":
                current?.status = .skipped
                current?.message = attributes["message"]
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if collectingText { text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            if collectingText { text += String(decoding: block, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            openElements -= 1
            switch element {
            case "failure", "error":
                collectingText = false
                guard var result = current else { return }
                let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if result.message == nil { result.message = body.split(separator: "\n").first.map(String.init) }
                result.message = result.message?.split(separator: "\n").prefix(6).joined(separator: "\n")
                result.locations = LocationScanner.scan(body, context: context)
                current = result
            case "testcase":
                guard var result = current else { return }
                if result.isFailing, let fileAttribute, !result.locations.contains(where: { $0.path == fileAttribute.path }) {
                    result.locations.insert(fileAttribute, at: 0)
                }
                output.add(result)
                current = nil
            default:
                break
            }
        }
    }
}
