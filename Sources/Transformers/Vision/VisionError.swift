/// A problem running a vision encoder on given pixels.
public enum VisionError: Error, Equatable, CustomStringConvertible {
    /// The image tensor does not have the shape the encoder takes.
    case pixelShape(name: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case let .pixelShape(name, expected, actual):
            return "\(name) has shape \(actual), this model takes \(expected) (normalised planes at the configured image size; resize first)"
        }
    }
}
