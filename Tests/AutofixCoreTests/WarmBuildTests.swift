import AutofixCore
import AutofixGit
import AutofixSandbox
import AutofixTestSupport
import Foundation
import XCTest

/// A repository's warm place: a later session starts from what the last one left, rewriting only
/// what changed; anything off about the place, or a run already in it, means a fresh session.
final class WarmBuildTests: XCTestCase {
    private var repo: TestRepository!
    private var cache: TemporaryDirectory!
    private var scratchParent: TemporaryDirectory!

    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    override func setUpWithError() throws {
        repo = try TestRepository(prefix: "autofix-warm")
        try repo.write("a.txt", "a\n")
        try repo.write("b.txt", "b\n")
        try repo.write("lib/c.txt", "c\n")
        try repo.commitAll("initial")
        cache = try TemporaryDirectory(prefix: "autofix-warm-cache")
        scratchParent = try TemporaryDirectory(prefix: "autofix-warm-scratch")
    }

    private var repository: Repository { get throws { try Repository.discover(from: repo.url) } }

    private func head() throws -> ObjectID { try XCTUnwrap(ObjectID(hex: try repo.revParse("HEAD"))) }

    private var placeURL: URL { get throws { WarmPlace.location(for: try repository, cacheHome: cache.url) } }

    private func open() throws -> WarmPlace {
        switch WarmPlace.open(for: try repository, cacheHome: cache.url) {
        case .opened(let place): return place
        case .unavailable(let reason): throw XCTSkip("the warm place did not open: \(reason)")
        }
    }

    private func unavailableReason() throws -> String? {
        if case .unavailable(let reason) = WarmPlace.open(for: try repository, cacheHome: cache.url) { return reason }
        return nil
    }

    private func session(_ place: WarmPlace) throws -> ScratchSession {
        try ScratchSession(repository: try repository, commit: try head(), warm: place, under: scratchParent.url)
    }

    private func stamp(_ url: URL) throws -> stat {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { throw XCTSkip("no \(url.path)") }
        return info
    }

    private func sameFile(_ a: stat, _ b: stat) -> Bool {
        a.st_ino == b.st_ino && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec
            && a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec
    }

    // MARK: reuse

    func testASecondSessionReusesThePlaceAndRewritesOnlyWhatChanged() throws {
        let first = try open()
        XCTAssertNil(first.state, "a new place has no state")
        let one = try session(first)
        XCTAssertEqual(one.view.directory.path, try placeURL.appendingPathComponent("sandbox").path)
        _ = try one.prepareTestRun()
        let view = one.view.directory
        // What the build left, and what a round did to the host's checkout without rolling back.
        try FileManager.default.createDirectory(at: view.appendingPathComponent(".build"), withIntermediateDirectories: true)
        try "object\n".write(to: view.appendingPathComponent(".build/out.o"), atomically: true, encoding: .utf8)
        try "tampered\n".write(to: view.appendingPathComponent("b.txt"), atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(at: one.checkout.directory.appendingPathComponent("Sources/New"),
                                                withIntermediateDirectories: true)
        try "new\n".write(to: one.checkout.directory.appendingPathComponent("Sources/New/new.txt"), atomically: true, encoding: .utf8)
        try "patched\n".write(to: one.checkout.directory.appendingPathComponent("lib/c.txt"), atomically: true, encoding: .utf8)
        let viewA = try stamp(view.appendingPathComponent("a.txt"))
        let checkoutA = try stamp(one.checkout.directory.appendingPathComponent("a.txt"))
        one.remove()

        try repo.write("a.txt", "a\n")
        try repo.write("lib/d.txt", "d\n")
        try repo.commitAll("second")
        let second = try open()
        XCTAssertNotNil(second.state, "the first session left its state")
        let two = try session(second)
        XCTAssertEqual(two.view.directory, view, "the view stays at one absolute path")
        _ = try two.prepareTestRun()

        XCTAssertTrue(sameFile(try stamp(view.appendingPathComponent("a.txt")), viewA), "an unchanged file is not rewritten in the view")
        XCTAssertTrue(sameFile(try stamp(two.checkout.directory.appendingPathComponent("a.txt")), checkoutA),
                      "nor in the host's checkout")
        let fresh = try ScratchCheckout.create(repository: try repository, commit: try head())
        defer { fresh.remove() }
        XCTAssertEqual(try TreeFingerprint.of(two.checkout.directory), try TreeFingerprint.of(fresh.directory),
                       "the kept checkout matches the commit: the round's leftovers are gone")
        XCTAssertEqual(try TreeFingerprint.of(view, skipping: [".build"]), try TreeFingerprint.of(fresh.directory),
                       "what the sandbox changed in the view is put back")
        XCTAssertEqual(try String(contentsOf: view.appendingPathComponent(".build/out.o"), encoding: .utf8), "object\n",
                       "the build output stays")
        two.remove()
        XCTAssertTrue(FileManager.default.fileExists(atPath: view.path), "removing the session leaves the warm place")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [], "the temporary part goes")
    }

    func testASessionThatDidNotEndLeavesNoStateAndTheNextRebuildsTheCheckout() throws {
        var first: WarmPlace? = try open()
        var one: ScratchSession? = try session(first!)
        let checkout = one!.checkout.directory
        let before = try stamp(checkout.appendingPathComponent("a.txt"))
        // A run that died: its session never ended, so nothing was saved.
        one = nil
        first = nil
        try? FileManager.default.removeItem(at: scratchParent.url)
        try FileManager.default.createDirectory(at: scratchParent.url, withIntermediateDirectories: true)

        let second = try open()
        XCTAssertNil(second.state, "the state was taken when the first session opened")
        let two = try session(second)
        defer { two.remove() }
        XCTAssertFalse(sameFile(try stamp(checkout.appendingPathComponent("a.txt")), before), "the checkout was written anew")
        XCTAssertEqual(try String(contentsOf: checkout.appendingPathComponent("a.txt"), encoding: .utf8), "a\n")
    }

    func testFetchedDependenciesAreCopiedAgainOnlyOnceTheUserFetchedAgain() throws {
        try repo.write("Package.swift", "// swift-tools-version:5.9\n")
        try repo.write(".gitignore", ".build/\n")
        try repo.commitAll("a package")
        try repo.write(".build/checkouts/dep/dep.swift", "// 1.0\n")
        try repo.write(".build/workspace-state.json", "{\"version\": 1}\n")
        func copied() throws -> (paths: [String], dep: String) {
            let session = try session(try open())
            defer { session.remove() }
            let dep = try String(contentsOf: session.view.directory.appendingPathComponent(".build/checkouts/dep/dep.swift"), encoding: .utf8)
            return (session.copiedDependencies.sorted(), dep)
        }
        XCTAssertEqual(try copied().paths, [".build/checkouts", ".build/workspace-state.json"])
        XCTAssertEqual(try copied().paths, [], "the view still has them")
        try repo.write(".build/checkouts/dep/dep.swift", "// 2.0\n")
        try repo.write(".build/workspace-state.json", "{\"version\": 2}\n")
        let again = try copied()
        XCTAssertEqual(again.paths, [".build/checkouts", ".build/workspace-state.json"], "fetched again: copied again")
        XCTAssertEqual(again.dep, "// 2.0\n")
    }

    // MARK: fall back

    func testASymlinkedPlaceIsNotUsed() throws {
        let elsewhere = try TemporaryDirectory(prefix: "autofix-warm-elsewhere")
        let place = try placeURL
        try open().unlock()
        try FileManager.default.removeItem(at: place)
        try FileManager.default.createSymbolicLink(at: place, withDestinationURL: elsewhere.url)
        XCTAssertEqual(try unavailableReason(), "\(place.path) is a symlink")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path), [], "nothing was made through the link")
    }

    func testAPlaceOfAnotherUserOrOpenToOthersIsNotUsed() throws {
        let place = try placeURL
        try open().unlock()
        chmod(place.path, 0o755)
        XCTAssertEqual(try unavailableReason(), "\(place.path) is open to other users (mode 755)")
        chmod(place.path, 0o700)
        guard chown(place.path, 65534, 65534) == 0 else { throw XCTSkip("cannot give a directory away here (not root)") }
        XCTAssertEqual(try unavailableReason(), "\(place.path) belongs to another user")
    }

    func testACacheDirectoryOthersMayWriteIsNotUsedButOneTheyMayReadIs() throws {
        let shared = cache.file("git-autofix")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        // Another cache of the tool's (the local model) made this one with the usual mode.
        chmod(shared.path, 0o755)
        XCTAssertNil(try unavailableReason())
        chmod(shared.path, 0o777)
        XCTAssertEqual(try unavailableReason(), "\(shared.path) is open to other users (mode 777)")
        chmod(shared.path, 0o755)
        chmod(cache.path, 0o1777)
        XCTAssertEqual(try unavailableReason(), "\(cache.path) is not a directory only this user can write")
    }

    func testOneSessionAtATimeHoldsThePlace() throws {
        let first = try open()
        XCTAssertEqual(try unavailableReason(), "another run is using \(try placeURL.path)")
        first.unlock()
        XCTAssertNil(try unavailableReason(), "the place is free again once the first lets go")
    }

    func testDropAllRemovesThePlaceButNotOneInUse() throws {
        let place = try open()
        XCTAssertThrowsError(try WarmPlace.remove(for: try repository, cacheHome: cache.url))
        place.unlock()
        XCTAssertEqual(try WarmPlace.remove(for: try repository, cacheHome: cache.url)?.path, try placeURL.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try placeURL.path))
        XCTAssertNil(try WarmPlace.remove(for: try repository, cacheHome: cache.url))
    }
}

/// Sandboxed code in one run plants links, hard links and setuid files in the view and in the
/// HOME it keeps; the next run's host must neither read nor write through them.
final class WarmPlaceEscapeTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    func testWhatOneRunPlantsCannotMakeTheNextReachOutside() async throws {
        let sandbox: Sandbox
        do { sandbox = try SandboxFactory.make(.bwrap) } catch { throw XCTSkip("no bubblewrap here: \(error)") }
        let outside = try TemporaryDirectory(prefix: "autofix-warm-outside")
        try "top secret\n".write(to: outside.file("secret.txt"), atomically: true, encoding: .utf8)
        let outsideBefore = try TreeFingerprint.of(outside.url)

        // A SwiftPM package whose user fetched a dependency: each session copies it into the view.
        let repo = try TestRepository(prefix: "autofix-warm-escape")
        try repo.write("Package.swift", "// swift-tools-version:5.9\n")
        try repo.write("Sources/App/main.swift", "print(1)\n")
        try repo.write(".gitignore", ".build/\n")
        try repo.commitAll("initial")
        try repo.write(".build/checkouts/dep/dep.swift", "// fetched\n")
        let repository = try Repository.discover(from: repo.url)
        let cache = try TemporaryDirectory(prefix: "autofix-warm-escape-cache")
        let scratchParent = try TemporaryDirectory(prefix: "autofix-warm-escape-scratch")
        func session() throws -> ScratchSession {
            guard case .opened(let place) = WarmPlace.open(for: repository, cacheHome: cache.url) else {
                throw XCTSkip("the warm place did not open")
            }
            return try ScratchSession(repository: repository, commit: try XCTUnwrap(ObjectID(hex: try repo.revParse("HEAD"))),
                                      warm: place, under: scratchParent.url)
        }

        let one = try session()
        let view = try one.prepareTestRun()
        let home = try XCTUnwrap(one.sandboxHome)
        let plant = """
            set -e
            rm -rf .build && ln -s \(outside.path) .build
            rm Package.swift && ln -s \(outside.path)/secret.txt Package.swift
            rm -rf Sources && ln -s \(outside.path) Sources
            ln Package.swift hard-link 2>/dev/null || true
            cp /bin/true "$HOME/tool" && chmod u+s,g+s "$HOME/tool"
            mkdir -p "$HOME/.cache" && cp /bin/true "$HOME/.cache/tool" && chmod u+s "$HOME/.cache/tool"
            ln -s \(outside.path) "$HOME/outside"
            echo planted
            """
        let result = try await sandbox.run(SandboxRequest(command: plant, workDirectory: view, limits: SandboxLimits(timeout: 60),
                                                          discoverToolchains: false, home: home))
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertEqual(result.stdout, "planted\n")
        one.remove()
        for file in ["tool", ".cache/tool"] {
            let mode = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent(file).path)[.posixPermissions] as? Int
            XCTAssertEqual((mode ?? 0) & 0o6000, 0, "\(file) kept a setuid or setgid bit after the run")
        }

        try repo.write("Sources/App/main.swift", "print(2)\n")
        try repo.commitAll("second")
        let two = try session()
        defer { two.remove() }
        XCTAssertEqual(two.copiedDependencies, [".build/checkouts"])
        _ = try two.prepareTestRun()
        XCTAssertEqual(try TreeFingerprint.of(outside.url), outsideBefore, "the host wrote or removed through a planted link")
        XCTAssertEqual(try String(contentsOf: two.checkout.directory.appendingPathComponent("Sources/App/main.swift"), encoding: .utf8),
                       "print(2)\n")
        XCTAssertEqual(try String(contentsOf: view.appendingPathComponent("Package.swift"), encoding: .utf8),
                       "// swift-tools-version:5.9\n", "the view's file is the host's again, not the link's target")
        var info = stat()
        XCTAssertEqual(lstat(view.appendingPathComponent(".build").path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFDIR, "the planted .build link was replaced by a real directory")
        XCTAssertEqual(try String(contentsOf: view.appendingPathComponent(".build/checkouts/dep/dep.swift"), encoding: .utf8),
                       "// fetched\n")
    }
}

extension WarmPlaceEscapeTests {
    func testTheDiskLimitCountsWhatARunAddsToTheViewAndTheKeptHome() async throws {
        let sandbox: Sandbox
        do { sandbox = try SandboxFactory.make(.bwrap) } catch { throw XCTSkip("no bubblewrap here: \(error)") }
        let view = try TemporaryDirectory(prefix: "autofix-warm-disk-view")
        let home = try TemporaryDirectory(prefix: "autofix-warm-disk-home")
        // A kept build directory larger than the limit: what earlier runs built does not count.
        try Data(count: 40 << 20).write(to: view.file("kept.o"))
        let limits = SandboxLimits(timeout: 60, diskBytes: 32 << 20)
        let small = try await sandbox.run(SandboxRequest(command: "echo built > out.o && echo done", workDirectory: view.url,
                                                         limits: limits, discoverToolchains: false, home: home.url))
        XCTAssertTrue(small.succeeded, small.summary + small.combinedOutput)

        let fill = "busybox dd if=/dev/zero of=\"$HOME/big\" bs=1048576 count=400 2>&1; echo WROTE"
        let attack = try await sandbox.run(SandboxRequest(command: fill, workDirectory: view.url, limits: limits,
                                                          discoverToolchains: false, home: home.url))
        XCTAssertEqual(attack.limitHit, .disk, attack.summary + attack.combinedOutput)
    }
}

/// The run says how its session started, and a second run at the same time starts fresh.
final class WarmBuildRunTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    private final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [RunEvent] = []
        func append(_ event: RunEvent) { lock.withLock { seen.append(event) } }
        var warmBuild: String? {
            lock.withLock { seen.compactMap { if case .started(let header) = $0 { return header.warmBuild } else { return nil } }.first }
        }
        var warnings: [String] { lock.withLock { seen.compactMap { if case .warning(let text) = $0 { return text } else { return nil } } } }
    }

    private func play(_ repo: TestRepository, warm: WarmBuilds) async throws -> (Events, URL) {
        var flags = RepairFlags()
        flags.test = "python3 -m pytest -v"
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        let events = Events()
        let tests = ScriptedTests([CalculatorScript.allPass])
        let loop = RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings, model: ScriptedModel([]),
                              tests: tests, events: { events.append($0) })
        let scratchParent = try TemporaryDirectory(prefix: "autofix-warm-run-scratch")
        loop.scratchParent = scratchParent.url
        loop.warmBuilds = warm
        let outcome = try await loop.run()
        XCTAssertEqual(outcome.status, .alreadyPassing)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [], "the temporary part was removed")
        return (events, try XCTUnwrap(tests.calls.first).directory)
    }

    func testTheHeaderSaysNewThenReusedAndABusyPlaceMeansAFreshSession() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let cache = try TemporaryDirectory(prefix: "autofix-warm-run-cache")
        let (first, firstView) = try await play(repo, warm: .on(cacheHome: cache.url))
        XCTAssertEqual(first.warmBuild, "new")
        let place = WarmPlace.location(for: try Repository.discover(from: repo.url), cacheHome: cache.url)
        XCTAssertEqual(firstView.path, place.appendingPathComponent("sandbox").path, "the tests ran in the warm place's view")

        let (second, secondView) = try await play(repo, warm: .on(cacheHome: cache.url))
        XCTAssertEqual(second.warmBuild, "reused")
        XCTAssertEqual(secondView, firstView)

        guard case .opened(let held) = WarmPlace.open(for: try Repository.discover(from: repo.url), cacheHome: cache.url) else {
            return XCTFail("the place was left locked")
        }
        let (third, thirdView) = try await play(repo, warm: .on(cacheHome: cache.url))
        held.unlock()
        XCTAssertEqual(third.warmBuild, "fresh (another run is using \(place.path))")
        XCTAssertEqual(third.warnings.count, 1)
        XCTAssertTrue(third.warnings.first?.contains("another run is using") == true, "\(third.warnings)")
        XCTAssertNotEqual(thirdView, firstView)

        let (off, _) = try await play(repo, warm: .off("--no-warm-builds"))
        XCTAssertEqual(off.warmBuild, "fresh (--no-warm-builds)")
        XCTAssertEqual(off.warnings, [], "warm builds turned off is no warning")
    }
}
