/// The JSON body of a streamed `/chat/completions` request.
enum RequestBody {
    static let reservedFields: Set<String> = ["model", "messages", "stream"]

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
            fields[name] = value
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
