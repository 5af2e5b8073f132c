/// What the parser makes of one file's edit in the model's reply.
public enum ParsedEdit: Sendable, Equatable {
    /// A complete edit, ready for the path policy and the applier.
    case patch(FilePatch)
    /// An edit that is unsafe or meaningless; `reason` is written for the model.
    case rejected(path: String?, reason: String)

    public var patch: FilePatch? {
        if case let .patch(patch) = self { return patch }
        return nil
    }
}
