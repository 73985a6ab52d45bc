import Foundation

/// A value inside a parsed JSON document that remembers where it came from.
///
/// Each accessor throws a ``TokenizerError`` that names the file and the JSON path, which is
/// how a bad tokenizer.json becomes a readable error instead of a crash.
struct JSONNode {
    /// The Foundation value (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `Bool`, `NSNull`).
    let value: Any
    /// The path from the document root, for example `model.merges[3]`.
    let path: String
    /// The file the document was read from.
    let file: String

    /// Parses a JSON document whose root must be an object.
    ///
    /// - Parameters:
    ///   - data: The file contents.
    ///   - file: The file name to report in errors.
    /// - Throws: ``TokenizerError/invalidJSON(file:reason:)``.
    static func parse(_ data: Data, file: String) throws -> JSONNode {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError.invalidJSON(file: file, reason: "the file is not JSON")
        }
        guard object is [String: Any] else {
            throw TokenizerError.invalidJSON(file: file, reason: "the top level is not a JSON object")
        }
        return JSONNode(value: object, path: "", file: file)
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether the value is JSON `null`.
    var isNull: Bool { value is NSNull }

    /// The member `key` of an object, or `nil` when it is absent or `null`.
    subscript(key: String) -> JSONNode? {
        guard let object = value as? [String: Any], let member = object[key], !(member is NSNull) else { return nil }
        return JSONNode(value: member, path: childPath(key), file: file)
    }

    /// The member `key` of an object.
    ///
    /// - Throws: ``TokenizerError/missingField(file:path:)`` when it is absent or `null`.
    func required(_ key: String) throws -> JSONNode {
        guard let member = self[key] else { throw TokenizerError.missingField(file: file, path: childPath(key)) }
        return member
    }

    func invalid(_ reason: String) -> TokenizerError {
        TokenizerError.invalidValue(file: file, path: path, reason: reason)
    }

    /// The value as a string.
    func string() throws -> String {
        guard let string = value as? String else { throw invalid("expected a string") }
        return string
    }

    /// The value as an integer.
    func int() throws -> Int {
        if let number = value as? NSNumber {
            let int = number.intValue
            guard Double(int) == number.doubleValue else { throw invalid("expected an integer") }
            return int
        }
        throw invalid("expected an integer")
    }

    /// The value as a Boolean.
    func bool() throws -> Bool {
        if let bool = value as? Bool { return bool }
        if let number = value as? NSNumber { return number.boolValue }
        throw invalid("expected true or false")
    }

    /// The value as an array of nodes.
    func array() throws -> [JSONNode] {
        guard let array = value as? [Any] else { throw invalid("expected an array") }
        return array.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    /// The value as an object's members, in no particular order.
    func members() throws -> [(key: String, node: JSONNode)] {
        guard let object = value as? [String: Any] else { throw invalid("expected an object") }
        return object.map { (key: $0.key, node: JSONNode(value: $0.value, path: childPath($0.key), file: file)) }
    }

    /// A single Unicode scalar stored as a one-character string (Rust's `char`).
    func scalar() throws -> Unicode.Scalar {
        let string = try string()
        guard string.unicodeScalars.count == 1, let scalar = string.unicodeScalars.first else {
            throw invalid("expected exactly one character")
        }
        return scalar
    }

    /// The component's `type` member.
    func type() throws -> String { try required("type").string() }

    /// An error for an unsupported value of this node's `type`.
    func unsupportedType(_ type: String) -> TokenizerError {
        TokenizerError.unsupported(file: file, component: childPath("type"), value: type)
    }
}
