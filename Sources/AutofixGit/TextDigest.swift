/// A short fixed-size name for text that may be long or hold anything (a test command, a
/// sandbox's settings), for file names. SHA-1, as git names its objects: it tells texts apart,
/// it does not keep a secret.
public enum TextDigest {
    public static func hex(_ text: String) -> String {
        SHA1.digest(Array(text.utf8)).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }
}
