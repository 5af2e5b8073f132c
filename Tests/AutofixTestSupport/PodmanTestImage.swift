import AutofixSupport
import Foundation

/// The local busybox image the podman tests run in.
public enum PodmanTestImage {
    public static let name = "localhost/autofix-test:latest"

    /// Podman works here when it can run a container with runc; builds the 2 MB busybox image
    /// from busybox-static with `podman import` the first time (no registry needed).
    public static let available: Bool = {
        guard find("podman") != nil, find("busybox") != nil, find("runc") != nil else { return false }
        if (try? Shell.run(["podman", "image", "exists", name]))?.succeeded != true {
            guard (try? buildBusyboxImage()) != nil else { return false }
        }
        return true
    }()

    private static func buildBusyboxImage() throws {
        let root = try TemporaryDirectory(prefix: "autofix-rootfs")
        let busybox = find("busybox")!
        for dir in ["bin", "etc", "tmp", "workspace", "proc", "sys", "dev"] {
            try FileManager.default.createDirectory(at: root.file(dir), withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: busybox, toPath: root.file("bin/busybox").path)
        let applets = try Shell.check([busybox, "--list"]).split(separator: "\n")
        for applet in applets where applet != "busybox" {
            try? FileManager.default.createSymbolicLink(atPath: root.file("bin/\(applet)").path, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n".write(to: root.file("etc/passwd"), atomically: true, encoding: .utf8)
        try "root:x:0:\nuser:x:1000:\n".write(to: root.file("etc/group"), atomically: true, encoding: .utf8)
        let tarball = root.url.deletingLastPathComponent().appendingPathComponent("\(root.url.lastPathComponent).tar")
        defer { try? FileManager.default.removeItem(at: tarball) }
        try Shell.check(["tar", "-C", root.path, "-cf", tarball.path, "."])
        try Shell.check(["podman", "import", "--change", "CMD [\"/bin/sh\"]", "--change", "ENV PATH=/bin",
                         tarball.path, name])
    }

    private static func find(_ program: String) -> String? {
        ExecutableSearch.find(program, in: (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/bin:/usr/sbin:/sbin")
    }
}
