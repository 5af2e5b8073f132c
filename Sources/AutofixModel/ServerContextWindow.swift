import Foundation

/// Reads the context window a server reports, in tokens, from the bodies where the common
/// servers put it: vLLM's `max_model_len` on each entry of `/models`, llama.cpp's `n_ctx` in
/// `/props` (`default_generation_settings.n_ctx`).
enum ServerContextWindow {
    /// The `max_model_len` of `model`'s entry, or of the only entry when none has its id.
    static func fromModelList(_ body: [UInt8], model: String) -> Int? {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let entries = root["data"] as? [[String: Any]] else { return nil }
        let entry = entries.first { $0["id"] as? String == model } ?? (entries.count == 1 ? entries.first : nil)
        return positive(entry?["max_model_len"])
    }

    static func fromProps(_ body: [UInt8]) -> Int? {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        let settings = root["default_generation_settings"] as? [String: Any]
        return positive(settings?["n_ctx"]) ?? positive(root["n_ctx"])
    }

    private static func positive(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, number.intValue > 0 else { return nil }
        return number.intValue
    }
}
