enum SandboxBench {
    static func run() throws {
        print("(not written yet)")
    }
}
