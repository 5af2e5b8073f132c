import Foundation

/// A directory under the system temp dir that is removed when the value is released.
public final class TemporaryDirectory {
    public let url: URL
    public var path: String { url.path }

    public init(prefix: String = "autofix-test") throws {
        let base = FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Resolve /tmp symlinks once so paths compare equal to what git prints.
        _ = url.resolvingSymlinksInPath()
    }

    public func file(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    deinit { try? FileManager.default.removeItem(at: url) }
}
