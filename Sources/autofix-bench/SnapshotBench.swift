enum SnapshotBench {
    static func run() throws {
        print("(not written yet)")
    }
}
