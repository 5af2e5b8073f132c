import Foundation

/// Small real projects with failing tests, made in temp dirs for end-to-end runs.
public enum SampleProjects {
    /// A Python project tested with pytest: `calc.add` subtracts, `calc.mul` is right.
    /// Two tests fail (`test_add`, `test_add_negative`), one passes (`test_mul`).
    public static func pythonCalculator() throws -> TestRepository {
        let repo = try TestRepository(prefix: "autofix-py")
        try repo.write("pytest.ini", "[pytest]\naddopts = -p no:cacheprovider\n")
        try repo.write(".gitignore", "__pycache__/\n.pytest_cache/\n")
        try repo.write("calc.py", """
            def add(a, b):
                return a - b


            def mul(a, b):
                return a * b

            """)
        try repo.write("test_calc.py", """
            from calc import add, mul


            def test_add():
                assert add(2, 3) == 5


            def test_add_negative():
                assert add(-1, -1) == -2


            def test_mul():
                assert mul(2, 3) == 6

            """)
        try repo.commitAll("calculator")
        return repo
    }

    /// The fix for `pythonCalculator`, as a model would write it.
    public static let pythonCalculatorFix = """
        Summary: make add() add instead of subtract

        ```diff
        --- a/calc.py
        +++ b/calc.py
        @@ -1,2 +1,2 @@
         def add(a, b):
        -    return a - b
        +    return a + b
        ```
        """

    /// A reply for `pythonCalculator` that fixes add() and breaks mul(), which passed before.
    public static let pythonCalculatorFixThatBreaksMul = """
        Summary: fix add, break mul

        ```diff
        --- a/calc.py
        +++ b/calc.py
        @@ -1,6 +1,6 @@
         def add(a, b):
        -    return a - b
        +    return a + b
         
         
         def mul(a, b):
        -    return a * b
        +    return a + b
        ```
        """

    /// A Python project needing a fix in two files: `strings.shout` and `mathutil.double`.
    public static func pythonTwoModules() throws -> TestRepository {
        let repo = try TestRepository(prefix: "autofix-py2")
        try repo.write("pytest.ini", "[pytest]\naddopts = -p no:cacheprovider\n")
        try repo.write(".gitignore", "__pycache__/\n")
        try repo.write("strings.py", "def shout(text):\n    return text.lower()\n")
        try repo.write("mathutil.py", "def double(n):\n    return n + 2\n")
        try repo.write("test_all.py", """
            from mathutil import double
            from strings import shout


            def test_shout():
                assert shout("hi") == "HI"


            def test_double():
                assert double(5) == 10

            """)
        try repo.commitAll("two modules")
        return repo
    }

    /// A reply fixing only `strings.shout` of `pythonTwoModules`.
    public static let shoutFix = """
        ```diff
        --- a/strings.py
        +++ b/strings.py
        @@ -1,2 +1,2 @@
         def shout(text):
        -    return text.lower()
        +    return text.upper()
        ```
        """

    /// A reply fixing `mathutil.double` of `pythonTwoModules`; with `parameter` other than `n`
    /// its context does not match the file, so it cannot apply.
    public static func doubleFix(parameter: String = "n") -> String {
        """
        ```diff
        --- a/mathutil.py
        +++ b/mathutil.py
        @@ -1,2 +1,2 @@
         def double(\(parameter)):
        -    return \(parameter) + 2
        +    return \(parameter) * 2
        ```
        """
    }

    /// A Swift package whose one test fails because `Greeter.greet` forgets the name.
    public static func swiftGreeter() throws -> TestRepository {
        let repo = try TestRepository(prefix: "autofix-swift")
        try repo.write(".gitignore", ".build/\n")
        try repo.write("Package.swift", """
            // swift-tools-version:5.9
            import PackageDescription

            let package = Package(
                name: "Greeter",
                targets: [
                    .target(name: "Greeter"),
                    .testTarget(name: "GreeterTests", dependencies: ["Greeter"]),
                ]
            )

            """)
        try repo.write("Sources/Greeter/Greeter.swift", """
            public struct Greeter {
                public init() {}

                public func greet(_ name: String) -> String {
                    return "Hello!"
                }
            }

            """)
        try repo.write("Tests/GreeterTests/GreeterTests.swift", """
            import Greeter
            import XCTest

            final class GreeterTests: XCTestCase {
                func testGreetsByName() {
                    XCTAssertEqual(Greeter().greet("Ada"), "Hello, Ada!")
                }

                func testGreetingIsNotEmpty() {
                    XCTAssertFalse(Greeter().greet("x").isEmpty)
                }
            }

            """)
        try repo.commitAll("greeter")
        return repo
    }

    public static let swiftGreeterFix = """
        Summary: greet by name

        ```diff
        --- a/Sources/Greeter/Greeter.swift
        +++ b/Sources/Greeter/Greeter.swift
        @@ -3,5 +3,5 @@ public struct Greeter {
         
             public func greet(_ name: String) -> String {
        -        return "Hello!"
        +        return "Hello, \\(name)!"
             }
         }
        ```
        """
}
