import AutofixSupport
import Foundation
/// A duration from a flag, else from git config; a bad value is a usage error naming where it came from.
enum ConfiguredDuration {
    static func seconds(flag: String?, flagName: String, key: String, config: (String) throws -> String?) throws -> Double? {
        guard let text = try flag ?? config(key) else { return nil }
        guard let seconds = DurationText.seconds(text), seconds > 0 else {
            let source = flag != nil ? flagName : "git config \(key)"
            throw UsageError("\(source) is `\(text)`, not a duration", hint: "use e.g. 90s, 10m or 1h30m")
        }
        return seconds
    }
}
