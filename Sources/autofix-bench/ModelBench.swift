enum ModelBench {
    static func run() throws {
        print("(not written yet)")
    }
}
