import Foundation

/// A value inside a parsed JSON document that remembers where it came from.
///
/// Each accessor throws a ``TokenizerError`` that names the file and the JSON path, which is
/// how a bad tokenizer.json becomes a readable error instead of a crash.
struct JSONNode {
    /// The value.
    let value: JSONValue
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
        let value: JSONValue
        do {
            value = try JSONValue.parse([UInt8](data))
        } catch let error as JSONValue.SyntaxError {
            throw TokenizerError.invalidJSON(file: file, reason: "not JSON: \(error.reason) at byte \(error.offset)")
        }
        guard case .object = value else {
            throw TokenizerError.invalidJSON(file: file, reason: "the top level is not a JSON object")
        }
        return JSONNode(value: value, path: "", file: file)
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member `key` of an object, or `nil` when it is absent or `null`.
    subscript(key: String) -> JSONNode? {
        guard case .object(let members) = value,
              let member = members.last(where: { $0.key == key }) else { return nil }
        if case .null = member.value { return nil }
        return JSONNode(value: member.value, path: childPath(key), file: file)
    }

    /// Whether an object has the member `key`, even if it is `null`.
    func contains(_ key: String) -> Bool {
        guard case .object(let members) = value else { return false }
        return members.contains { $0.key == key }
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
        guard case .string(let string) = value else { throw invalid("expected a string") }
        return string
    }

    /// The value as an integer.
    func int() throws -> Int {
        guard case .number(let number) = value, let int = Int(exactly: number) else { throw invalid("expected an integer") }
        return int
    }

    /// The value as a Boolean.
    func bool() throws -> Bool {
        guard case .bool(let bool) = value else { throw invalid("expected true or false") }
        return bool
    }

    /// The value as an array of nodes.
    func array() throws -> [JSONNode] {
        guard case .array(let array) = value else { throw invalid("expected an array") }
        return array.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    /// The value as an object's members, in file order.
    func members() throws -> [(key: String, node: JSONNode)] {
        guard case .object(let members) = value else { throw invalid("expected an object") }
        return members.map { (key: $0.key, node: JSONNode(value: $0.value, path: childPath($0.key), file: file)) }
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
