enum LoopBench {
    static func run() throws {
        print("(not written yet)")
    }
}
