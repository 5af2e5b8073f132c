public enum AutofixVersion {
    public static let string = "0.1.0"
}
