import XCTest
@testable import AutofixCore

/// The test command a commit records travels with it: no absolute paths of the user's machine.
final class PortableCommandTests: XCTestCase {
    func testPathInsideTheRepositoryIsRelativeAndUnderHomeUsesTilde() {
        let recorded = { (command: String) in
            PortableCommand.recorded(command, repositoryRoot: "/home/ann/src/sympy", home: "/home/ann")
        }
        XCTAssertEqual(recorded("/home/ann/src/sympy/.venv/bin/python -m pytest -q"), ".venv/bin/python -m pytest -q")
        XCTAssertEqual(recorded("'/home/ann/src/sympy/.venv/bin/python' -m pytest"), "'.venv/bin/python' -m pytest")
        XCTAssertEqual(recorded("/home/ann/.venvs/sympy/bin/pytest -q"), "~/.venvs/sympy/bin/pytest -q")
        XCTAssertEqual(recorded("PYTHONPATH=/home/ann/src/sympy/lib pytest"), "PYTHONPATH=lib pytest")
        XCTAssertEqual(recorded("/opt/tools/home/ann/x swift test"), "/opt/tools/home/ann/x swift test")
        XCTAssertEqual(recorded("swift test"), "swift test")
    }
}
