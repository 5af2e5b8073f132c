enum PatchBench {
    static func run() throws {
        print("(not written yet)")
    }
}
