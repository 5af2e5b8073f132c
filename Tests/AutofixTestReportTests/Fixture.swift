import AutofixTestReport
import Foundation
import XCTest

/// Test output captured from the real tools (swift test, pytest, cargo test, node --test) or
/// written by hand after their documented formats (go test, jest, TAP, JUnit XML).
enum Fixture {
    /// Where the captured projects lived; paths in the captured output start here.
    static let swiftPackageRoot = URL(fileURLWithPath: "/home/dev/cap/swiftpkg")
    static let pythonProjectRoot = URL(fileURLWithPath: "/home/dev/cap/pyproj")
    static let rustCrateRoot = URL(fileURLWithPath: "/home/dev/cap/rust/calc")
    static let nodeProjectRoot = URL(fileURLWithPath: "/home/dev/cap/node")
    static let goModuleRoot = URL(fileURLWithPath: "/home/dev/calc")

    static func url(_ name: String) -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            fatalError("fixture \(name) is missing from the test bundle")
        }
        return url
    }

    static func text(_ name: String) -> String {
        // Captured output is mostly UTF-8 but a crash dump may hold raw bytes.
        String(decoding: (try? Data(contentsOf: url(name))) ?? Data(), as: UTF8.self)
    }

    static func report(_ name: String, exitCode: Int32?, timedOut: Bool = false, root: URL? = nil) -> TestReport {
        TestReportParser.parse(output: text(name), exitCode: exitCode, timedOut: timedOut, repositoryRoot: root)
    }
}

extension TestReport {
    func status(_ id: String, file: StaticString = #filePath, line: UInt = #line) -> TestStatus? {
        let found = result(for: id)
        if found == nil {
            XCTFail("no test \(id) in report; ids: \(cases.map(\.id))", file: file, line: line)
        }
        return found?.status
    }

    var ids: [String] { cases.map(\.id) }
}
