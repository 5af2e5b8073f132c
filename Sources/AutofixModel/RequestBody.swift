/// The JSON body of a streamed `/chat/completions` request.
enum RequestBody {
    static let reservedFields: Set<String> = ["model", "messages", "stream"]
    /// Names servers take for the completion token limit. Extra fields may lower it, never raise
    /// it past `maxTokens` (the client stops reading at that limit anyway, see ResponseLimits).
    static let tokenLimitFields: Set<String> = ["max_tokens", "max_completion_tokens", "max_new_tokens", "n_predict", "num_predict"]

    /// `value` when it is a number no larger than `limit`, else `limit`.
    static func capped(_ value: JSONValue, at limit: Int) -> JSONValue {
        switch value {
        case .int(let number) where number >= 0 && number <= limit: return value
        case .double(let number) where number >= 0 && number <= Double(limit): return .int(Int(number))
        default: return .int(limit)
        }
    }

    static func chatCompletion(_ request: ChatRequest) -> String {
        var fields: [String: JSONValue] = [
            "temperature": .double(request.temperature),
            "top_p": .double(request.topP),
            "max_tokens": .int(request.maxTokens),
            // Without this most servers send no token counts in streaming mode.
            "stream_options": ["include_usage": true],
        ]
        if !request.stop.isEmpty { fields["stop"] = .array(request.stop.map { .string($0) }) }
        if let seed = request.seed { fields["seed"] = .int(seed) }
        for (name, value) in request.extraFields where !reservedFields.contains(name) {
            fields[name] = tokenLimitFields.contains(name) ? capped(value, at: request.maxTokens) : value
        }
        let messages: JSONValue = .array(request.messages.map {
            .object(["role": .string($0.role.rawValue), "content": .string($0.content)])
        })
        // The fixed fields first, so the body reads well in a log; the rest sorted.
        var members: [(key: String, value: JSONValue)] = [
            ("model", .string(request.model)), ("stream", .bool(true)),
        ]
        members += fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        members.append(("messages", messages))
        var out = ""
        JSONValue.writeObject(members, to: &out)
        return out
    }
}
