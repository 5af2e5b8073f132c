import AutofixGit
import AutofixSupport
import AutofixTestSupport
import XCTest

/// status.json is written with snake_case keys, like every JSON git autofix writes, and a record
/// an older version wrote in camelCase is still read.
final class RunStatusStoreTests: XCTestCase {
    private func store() throws -> (RunStatusStore, TestRepository) {
        let repo = try TestRepository()
        return (RunStatusStore(repository: try Repository.open(at: repo.url)), repo)
    }

    private var running: RunStatus {
        var record = RunStatus(status: RunStatus.running, testCommand: "make check", model: "tiny",
                               failingBefore: 3, failingAfter: 1, rounds: 2)
        record.process = ProcessIdentity(pid: 4242, startTicks: 99, bootID: "boot-1", pidNamespace: "ns", host: "box")
        record.scratchRoot = "/tmp/autofix-scratch"
        record.cgroupParents = ["/sys/fs/cgroup/user.slice"]
        return record
    }

    func testARecordIsWrittenInSnakeCaseAndReadBack() throws {
        let (store, _) = try store()
        try store.write(running, for: "20260101-000000-abc")
        let file = store.directory(for: "20260101-000000-abc").appendingPathComponent("status.json")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["status", "test_command", "model", "failing_before", "failing_after", "rounds",
                                          "process", "scratch_root", "cgroup_parents"])
        let process = try XCTUnwrap(object["process"] as? [String: Any])
        XCTAssertEqual(Set(process.keys), ["pid", "start_ticks", "boot_id", "pid_namespace", "host"])
        XCTAssertEqual(store.read("20260101-000000-abc"), running)
    }

    func testARecordAnOlderVersionWroteInCamelCaseIsStillRead() throws {
        let (store, _) = try store()
        let folder = store.directory(for: "20250101-000000-old")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let old = """
            {
              "cgroupParents" : ["/sys/fs/cgroup/user.slice"],
              "failingAfter" : 1,
              "failingBefore" : 3,
              "model" : "tiny",
              "process" : {"bootID" : "boot-1", "host" : "box", "pid" : 4242, "pidNamespace" : "ns", "startTicks" : 99},
              "rounds" : 2,
              "scratchRoot" : "/tmp/autofix-scratch",
              "status" : "running",
              "testCommand" : "make check"
            }
            """
        try Data(old.utf8).write(to: folder.appendingPathComponent("status.json"))
        XCTAssertEqual(store.read("20250101-000000-old"), running)
    }
}
