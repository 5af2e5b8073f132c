@testable import AutofixCore
import XCTest

/// The search for the commit that broke the tests, with the test verdicts given per commit.
final class FirstFailingCommitTests: XCTestCase {
    private final class Verdicts: @unchecked Sendable {
        var asked: [Int] = []
    }

    private func find(firstFailing: Int?, commits: Int, upstreamPasses: Bool = true) async throws -> (FirstFailingCommit<Int>.Finding, [Int]) {
        let verdicts = Verdicts()
        let search = FirstFailingCommit(upstream: 0, commits: Array(1...commits)) { commit in
            verdicts.asked.append(commit)
            if commit == 0 { return upstreamPasses }
            return firstFailing.map { commit < $0 } ?? true
        }
        return (try await search.find(), verdicts.asked)
    }

    func testAFewCommitsAreTestedInOrderUpToTheFirstFailure() async throws {
        let (finding, asked) = try await find(firstFailing: 2, commits: 3)
        XCTAssertEqual(finding, .found(2))
        XCTAssertEqual(asked, [1, 2])
    }

    func testManyCommitsAreBisected() async throws {
        for broken in 1...40 {
            let (finding, asked) = try await find(firstFailing: broken, commits: 40)
            XCTAssertEqual(finding, .found(broken))
            XCTAssertLessThanOrEqual(asked.count, 2 + 6, "bisected, not tested one by one: \(asked)")
        }
    }

    func testPassingTipNeedsNothingAndFailingUpstreamIsSaid() async throws {
        let (passing, asked) = try await find(firstFailing: nil, commits: 10)
        XCTAssertEqual(passing, .allPass)
        XCTAssertEqual(asked, [10])
        let (fewPassing, _) = try await find(firstFailing: nil, commits: 2)
        XCTAssertEqual(fewPassing, .allPass)
        let (upstream, _) = try await find(firstFailing: 1, commits: 10, upstreamPasses: false)
        XCTAssertEqual(upstream, .upstreamFails)
        let (fewUpstream, _) = try await find(firstFailing: 1, commits: 2, upstreamPasses: false)
        XCTAssertEqual(fewUpstream, .upstreamFails)
    }
}
