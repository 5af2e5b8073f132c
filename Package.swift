// swift-tools-version:6.0
import PackageDescription

// One module per concern (see DESIGN.md). Only AutofixGit imports CGit2 (and CZlib, to write
// packs) and only AutofixModel imports CCurl, both with `internal import`, so the compiler rejects
// a libgit2, zlib or libcurl type in their public API. SwiftPM still hands those module maps to
// every target built on top, so it does not stop a higher target from naming `import CGit2`
// itself: none does, and none should.
//
// The libraries are in Swift 6 mode (data races are compile errors); the executables and tests
// still build in Swift 5 mode.
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "git-autofix",
    products: [
        .executable(name: "git-autofix", targets: ["git-autofix"]),
        .executable(name: "autofix-bench", targets: ["autofix-bench"]),
        .library(name: "AutofixCore", targets: ["AutofixCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Calls Swift's Glibc module does not import (they need _GNU_SOURCE), kept in C.
        .target(name: "CSystem"),
        .target(name: "AutofixSupport", dependencies: ["CSystem"], swiftSettings: swift6),
        .target(name: "AutofixGit", dependencies: ["CGit2", "CZlib", "AutofixSupport"], swiftSettings: swift6),
        .target(name: "AutofixModel", dependencies: ["CCurl", "AutofixSupport"], swiftSettings: swift6),
        .target(name: "AutofixPatch", dependencies: ["AutofixSupport"], swiftSettings: swift6),
        .target(name: "AutofixSandbox", dependencies: ["AutofixSupport"], swiftSettings: swift6),
        .target(name: "AutofixTestReport", dependencies: ["AutofixSupport"], swiftSettings: swift6),
        .target(
            name: "AutofixCore",
            dependencies: [
                "AutofixSupport", "AutofixGit", "AutofixModel", "AutofixPatch",
                "AutofixSandbox", "AutofixTestReport",
            ],
            swiftSettings: swift6
        ),
        // The commands (parsing and rendering), a library so that the tests can call into them.
        .target(
            name: "AutofixCommands",
            dependencies: [
                "AutofixCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swift6
        ),
        .executableTarget(name: "git-autofix", dependencies: ["AutofixCommands"], swiftSettings: swift6),
        .executableTarget(name: "autofix-bench", dependencies: ["AutofixCore", "AutofixBenchSupport"]),
        // What the benchmarks and the tests both need, kept under Sources so the bench builds no test code.
        .target(name: "AutofixBenchSupport", dependencies: ["AutofixSupport"]),

        .target(name: "AutofixTestSupport", dependencies: ["AutofixSupport", "AutofixBenchSupport"], path: "Tests/AutofixTestSupport"),
        .testTarget(name: "AutofixSupportTests", dependencies: ["AutofixSupport", "AutofixTestSupport"]),
        .testTarget(name: "AutofixGitTests", dependencies: ["AutofixGit", "AutofixTestSupport"]),
        .testTarget(name: "AutofixModelTests", dependencies: ["AutofixModel", "AutofixTestSupport"]),
        .testTarget(name: "AutofixPatchTests", dependencies: ["AutofixPatch", "AutofixTestSupport"]),
        .testTarget(name: "AutofixSandboxTests", dependencies: ["AutofixSandbox", "AutofixTestSupport"]),
        .testTarget(
            name: "AutofixTestReportTests", dependencies: ["AutofixTestReport", "AutofixTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "AutofixCoreTests", dependencies: ["AutofixCore", "AutofixTestSupport"]),
        // Runs the built binary as a user would (so it depends on it), and a few renderer parts in process.
        .testTarget(name: "git-autofixTests", dependencies: ["git-autofix", "AutofixCommands", "AutofixTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
